"""The background loop that sends due deliveries."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from services.notify import service
from services.notify.channels.email import SmtpMailer
from shared.runtime import Runtime

log = logging.getLogger(__name__)


class DeliveryDispatcher:
    def __init__(
        self, runtime: Runtime, mailer: SmtpMailer, *, interval_s: float = 0.5, batch_size: int = 50
    ) -> None:
        self._runtime = runtime
        self._mailer = mailer
        self._interval_s = interval_s
        self._batch_size = batch_size

    async def run(self) -> None:
        while True:
            try:
                sent = await self.dispatch_due()
            except Exception:
                log.exception("delivery dispatch failed; retrying")
                sent = 0
            if sent < self._batch_size:
                await asyncio.sleep(self._interval_s)

    async def dispatch_due(self) -> int:
        now = datetime.now(UTC)
        async with self._runtime.transaction() as session:
            due = await service.due_delivery_ids(session, now=now, limit=self._batch_size)
        for delivery_id in due:
            async with self._runtime.transaction() as session:
                await service.send_delivery(
                    session, delivery_id=delivery_id, mailer=self._mailer, now=now
                )
        return len(due)
