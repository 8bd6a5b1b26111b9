"""The background loops: one sends due deliveries, one queues due reminders."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import stamina
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import reminders, sending
from services.notify.channels import Channels
from services.notify.service import RETRY_SCHEDULE_S
from shared.cancellation import cancel_requested
from shared.runtime import Runtime

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


class DeliveryDispatcher:
    def __init__(
        self,
        runtime: Runtime,
        channels: Channels,
        *,
        interval_s: float = 0.5,
        batch_size: int = 50,
        schedule: tuple[float, ...] = RETRY_SCHEDULE_S,
        clock: Clock = utc_now,
    ) -> None:
        self._runtime = runtime
        self._channels = channels
        self._interval_s = interval_s
        self._batch_size = batch_size
        self._schedule = schedule
        self._clock = clock

    async def run(self) -> None:
        try:
            while not cancel_requested():
                try:
                    sent = await self.dispatch_due()
                except Exception:
                    log.exception("delivery dispatch failed; retrying")
                    sent = 0
                if sent == 0:
                    await self._channels.mailer.close()  # no mail server connection held idle
                if sent < self._batch_size:
                    await asyncio.sleep(self._interval_s)
        finally:
            await self._channels.mailer.close()

    async def dispatch_due(self) -> int:
        started, now, token = time.monotonic(), self._clock(), uuid.uuid4()
        claims = await self._through_outage(
            lambda session: sending.claim_due(session, token=token, now=now, limit=self._batch_size)
        )
        if not claims:
            return 0
        outcomes = [(claimed, await self._send(claimed, now, started)) for claimed in claims]
        await self._through_outage(
            lambda session: sending.record_outcomes(
                session, outcomes, now=now, schedule=self._schedule
            )
        )
        return len(claims)

    async def _send(self, claimed: sending.Claim, now: datetime, started: float) -> sending.Outcome:
        if time.monotonic() - started > sending.SEND_WINDOW_S:
            return sending.NOT_ATTEMPTED
        return await sending.send(claimed, self._channels, now=now)

    async def _through_outage(self, step: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run a step in its own transaction, again while the database is unreachable.

        Each step is safe to repeat: a commit whose answer was lost may have landed.
        """

        @stamina.retry(
            on=sending.is_connection_problem,
            attempts=None,
            timeout=sending.STEP_RETRY_TIMEOUT_S,
            wait_max=5.0,
        )
        async def in_transaction() -> T:
            async with self._runtime.transaction() as session:
                return await step(session)

        return await in_transaction()


class ReminderScheduler:
    """Restart-safe and replica-safe: each reminder's key row is inserted with its deliveries."""

    def __init__(
        self, runtime: Runtime, *, interval_s: float = 60.0, clock: Clock = utc_now
    ) -> None:
        self._runtime = runtime
        self._interval_s = interval_s
        self._clock = clock

    async def run(self) -> None:
        while not cancel_requested():
            try:
                await self.tick()
            except Exception:
                log.exception("reminder tick failed; retrying")
            await asyncio.sleep(self._interval_s)

    async def tick(self) -> int:
        now = self._clock()
        public_url = self._runtime.settings.public_url
        async with self._runtime.transaction() as session:
            due = await reminders.due_reminders(session, now=now, public_url=public_url)
        sent = 0
        for reminder in due:
            async with self._runtime.transaction() as session:
                sent += await reminders.send_reminder(session, reminder, now=now)
        return sent
