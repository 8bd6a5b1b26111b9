"""Transactional outbox: events are written with the state change and published afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from shared.cancellation import cancel_requested
from shared.db import SessionMaker, transaction
from shared.events import Event
from shared.messaging.tables import MessagingTables

log = logging.getLogger(__name__)


class EventPublisher(Protocol):
    async def publish(
        self, *, event_id: str, event_type: str, correlation_id: str, payload: bytes
    ) -> None: ...


_WROTE_TO_OUTBOX = "qcflow.wrote_to_outbox"


def wrote_to_outbox(session: AsyncSession) -> bool:
    """Whether this session added outbox rows: only then is the relay worth waking."""
    return bool(session.info.get(_WROTE_TO_OUTBOX))


async def add_to_outbox(session: AsyncSession, tables: MessagingTables, event: Event) -> None:
    # Values bound at execution, not built into the statement: half the cost of the call.
    row = {
        "event_id": str(event.event_id),
        "event_type": event.type,
        "correlation_id": event.correlation_id,
        "payload": event.model_dump_json(),
        "created_at": datetime.now(UTC),
        "attempts": 0,
    }
    await session.execute(insert(tables.outbox), row)
    session.info[_WROTE_TO_OUTBOX] = True


async def count_pending(session: AsyncSession, tables: MessagingTables) -> int:
    query = select(func.count()).where(tables.outbox.c.published_at.is_(None))
    return int((await session.execute(query)).scalar_one())


class OutboxRelay:
    """Publishes pending outbox rows oldest first, a batch at a time; safe in several replicas."""

    def __init__(
        self,
        sessionmaker: SessionMaker,
        tables: MessagingTables,
        publisher: EventPublisher,
        *,
        batch_size: int = 100,
        idle_interval_s: float = 0.5,
        retry_interval_s: float = 1.0,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._tables = tables
        self._publisher = publisher
        self._batch_size = batch_size
        self._idle_interval_s = idle_interval_s
        self._retry_interval_s = retry_interval_s
        self._wakeup = asyncio.Event()
        self._pending = self._pending_query()

    def wake(self) -> None:
        """Call after committing a transaction that added outbox rows, to publish at once."""
        self._wakeup.set()

    async def run(self) -> None:
        while not cancel_requested():
            try:
                published = await self.publish_pending()
            except Exception:
                log.exception("outbox relay failed; retrying")
                await asyncio.sleep(self._retry_interval_s)
                continue
            if published < self._batch_size:
                await self._wait_for_work()

    async def _wait_for_work(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._idle_interval_s):
                await self._wakeup.wait()
        self._wakeup.clear()

    async def publish_pending(self) -> int:
        """Publish one batch; rows are marked only after the broker confirmed them.

        The batch's publishes go out together and their confirms are awaited together, not one
        round trip per row. A row whose publish failed stays pending with the attempt counted;
        the others are marked. An interruption (cancellation, a crash) marks nothing: the rows
        are published again, and consumers drop the duplicates through their inbox.
        """
        outbox = self._tables.outbox
        async with transaction(self._sessionmaker) as session:
            rows = (await session.execute(self._pending)).all()
            outcomes = await asyncio.gather(
                *(self._publish(row) for row in rows), return_exceptions=True
            )
            _raise_interruption(outcomes)
            failures = {
                row.event_id: outcome
                for row, outcome in zip(rows, outcomes, strict=True)
                if isinstance(outcome, Exception)
            }
            published = [row.event_id for row in rows if row.event_id not in failures]
            for event_id, failure in failures.items():
                await session.execute(
                    update(outbox)
                    .where(outbox.c.event_id == event_id)
                    .values(attempts=outbox.c.attempts + 1, last_error=repr(failure)[:2000])
                )
            if published:
                await session.execute(
                    update(outbox)
                    .where(outbox.c.event_id.in_(published))
                    .values(published_at=datetime.now(UTC))
                )
        if failures:
            raise next(iter(failures.values()))
        return len(published)

    async def _publish(self, row: Row[tuple[str, str, str, str]]) -> None:
        await self._publisher.publish(
            event_id=row.event_id,
            event_type=row.event_type,
            correlation_id=row.correlation_id,
            payload=row.payload.encode(),
        )

    def _pending_query(self) -> Select[tuple[str, str, str, str]]:
        outbox = self._tables.outbox
        return (
            select(
                outbox.c.event_id, outbox.c.event_type, outbox.c.correlation_id, outbox.c.payload
            )
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.created_at)
            .limit(self._batch_size)
            .with_for_update(skip_locked=True)
        )


def _raise_interruption(outcomes: Sequence[object]) -> None:
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
            raise outcome
