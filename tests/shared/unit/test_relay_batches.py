"""The relay sends a batch together: a failed publish leaves only its own row pending."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from shared.db import transaction
from shared.events import ApplicationWithdrawn
from shared.messaging.outbox import OutboxRelay, add_to_outbox


class BrokerRefusing:
    """Confirms every publish but those of the refused event ids; records what was sent."""

    def __init__(self, refused: set[str]) -> None:
        self.refused = refused
        self.sent: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def publish(self, *, event_id: str, **_: object) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.01)  # the confirm's round trip
        self.in_flight -= 1
        if event_id in self.refused:
            raise ConnectionError("channel closed")
        self.sent.append(event_id)


async def test_a_refused_publish_leaves_its_row_pending_and_the_rest_marked(sqlite_messaging):
    tables, sessionmaker = sqlite_messaging
    events = [
        ApplicationWithdrawn(application_id=uuid.uuid4(), unit_id="xizang", enterprise_id="e1")
        for _ in range(10)
    ]
    async with transaction(sessionmaker) as session:
        for event in events:
            await add_to_outbox(session, tables, event)
    refused = str(events[3].event_id)
    broker = BrokerRefusing({refused})

    with pytest.raises(ConnectionError):
        await OutboxRelay(sessionmaker, tables, broker).publish_pending()

    assert broker.most_in_flight == 10, "the batch's publishes are outstanding together"
    async with transaction(sessionmaker) as session:
        rows = (await session.execute(select(tables.outbox))).all()
    state = {row.event_id: (row.published_at is not None, row.attempts) for row in rows}
    assert state.pop(refused) == (False, 1)
    assert set(state.values()) == {(True, 0)}
    assert sorted(broker.sent) == sorted(state)

    broker.refused.clear()
    assert await OutboxRelay(sessionmaker, tables, broker).publish_pending() == 1
    assert broker.sent[-1] == refused
