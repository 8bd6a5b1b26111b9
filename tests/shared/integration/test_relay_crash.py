"""Drill 6: the outbox relay dies between publishing and marking its rows; nothing is doubled."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, update

from services.review import service as review_service
from services.review.models import Entry
from shared.db import transaction
from shared.messaging.broker import declare_topology
from shared.messaging.outbox import EventPublisher, OutboxRelay, count_pending
from shared.runtime import Runtime
from tests.shared.integration.test_delivery_guarantees import (
    eventually,
    review_runtime,
    submitted_event,
)

__all__ = ["review_runtime"]
N = 200
BATCH = 60


class RelayKilled(BaseException):
    """Raised past every `except Exception`, like a SIGKILL the relay never sees coming."""


class DiesAfterPublishing:
    """Publishes a whole batch for real, then the 'process' dies before the relay marks it."""

    def __init__(self, real: EventPublisher, deaths: int) -> None:
        self._real = real
        self.published = 0
        self._deaths = deaths

    async def publish(self, **message: str | bytes) -> None:
        await self._real.publish(**message)  # type: ignore[arg-type]
        self.published += 1
        if self.published % BATCH == 0 and self._deaths > 0:
            self._deaths -= 1
            raise RelayKilled


async def test_relay_killed_after_publishing_leaves_no_duplicate_effect(review_runtime: Runtime):
    handled: list[str] = []

    async def register(session, event):
        handled.append(str(event.event_id))
        await review_service.register_submission(session, event)

    review_runtime.consume({"application.submitted": register})
    events = [submitted_event() for _ in range(N)]
    async with transaction(review_runtime.sessionmaker) as session:
        for event in events:
            await review_runtime.publish_later(session, event)
    await review_runtime.broker.connect()
    await declare_topology(review_runtime.broker)

    dying = DiesAfterPublishing(review_runtime.relay._publisher, deaths=3)
    crashed_relay = OutboxRelay(
        review_runtime.sessionmaker, review_runtime.tables, dying, batch_size=BATCH
    )
    for _ in range(3):
        with pytest.raises(RelayKilled):
            await crashed_relay.publish_pending()
    await review_runtime.start()  # consumers and a healthy relay: the restarted process

    async def all_published() -> bool:
        async with review_runtime.transaction() as session:
            return await count_pending(session, review_runtime.tables) == 0

    assert await eventually(all_published, timeout_s=60)
    assert dying.published == 180, "the dead relay published 3 batches of 60 it never marked"
    assert await eventually(lambda: _ready(len(set(handled)) == N), timeout_s=60)
    await asyncio.sleep(1.0)
    assert sorted(handled) == sorted(str(event.event_id) for event in events), "no event twice"
    async with review_runtime.transaction() as session:
        ids = [event.application_id for event in events]
        entries = await session.scalar(select(func.count()).where(Entry.application_id.in_(ids)))
    assert entries == N


async def _ready(value: bool) -> bool:
    return value


async def test_a_publish_the_broker_refuses_leaves_only_its_row_pending(review_runtime: Runtime):
    """Real RabbitMQ returns the one unroutable event of a batch; the rest are marked."""
    events = [submitted_event() for _ in range(10)]
    async with transaction(review_runtime.sessionmaker) as session:
        for event in events:
            await review_runtime.publish_later(session, event)
    refused = str(events[3].event_id)
    outbox = review_runtime.tables.outbox
    async with transaction(review_runtime.sessionmaker) as session:
        # Bound to no queue: the mandatory publish comes back from the broker.
        unroutable = update(outbox).where(outbox.c.event_id == refused)
        await session.execute(unroutable.values(event_type="nobody.listens"))
    await review_runtime.broker.connect()
    await declare_topology(review_runtime.broker)

    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the client raises for a return
        await review_runtime.relay.publish_pending()

    async with transaction(review_runtime.sessionmaker) as session:
        ids = [str(event.event_id) for event in events]
        rows = (await session.execute(select(outbox).where(outbox.c.event_id.in_(ids)))).all()
    state = {row.event_id: (row.published_at is not None, row.attempts) for row in rows}
    assert state.pop(refused) == (False, 1)
    assert set(state.values()) == {(True, 0)}
    assert len(state) == len(events) - 1
