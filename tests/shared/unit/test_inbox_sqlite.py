"""The inbox claim on the embedded SQLite database (`make run`), as on PostgreSQL."""

from __future__ import annotations

import uuid

from sqlalchemy import MetaData

from shared.db import create_engine, create_sessionmaker, transaction
from shared.events import ApplicationWithdrawn
from shared.messaging.consumer import claim_in_inbox
from shared.messaging.tables import define_messaging_tables


def withdrawn() -> ApplicationWithdrawn:
    return ApplicationWithdrawn(application_id=uuid.uuid4(), unit_id="xizang", enterprise_id="e1")


async def test_an_event_is_claimed_once_and_then_seen_as_handled(tmp_path):
    metadata = MetaData()
    tables = define_messaging_tables(metadata)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'inbox.sqlite3'}")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    sessionmaker = create_sessionmaker(engine)
    event, other = withdrawn(), withdrawn()
    try:
        async with transaction(sessionmaker) as session:
            assert await claim_in_inbox(session, tables, event) is True
        async with transaction(sessionmaker) as session:
            assert await claim_in_inbox(session, tables, event) is False
            assert await claim_in_inbox(session, tables, other) is True
    finally:
        await engine.dispose()
