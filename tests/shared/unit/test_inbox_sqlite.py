"""The inbox claim on the embedded SQLite database (`make run`), as on PostgreSQL."""

from __future__ import annotations

import uuid

from shared.db import transaction
from shared.events import ApplicationWithdrawn
from shared.messaging.consumer import claim_in_inbox


def withdrawn() -> ApplicationWithdrawn:
    return ApplicationWithdrawn(application_id=uuid.uuid4(), unit_id="xizang", enterprise_id="e1")


async def test_an_event_is_claimed_once_and_then_seen_as_handled(sqlite_messaging):
    tables, sessionmaker = sqlite_messaging
    event, other = withdrawn(), withdrawn()
    async with transaction(sessionmaker) as session:
        assert await claim_in_inbox(session, tables, event) is True
    async with transaction(sessionmaker) as session:
        assert await claim_in_inbox(session, tables, event) is False
        assert await claim_in_inbox(session, tables, other) is True
