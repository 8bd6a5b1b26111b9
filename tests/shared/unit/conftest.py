from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import MetaData

from shared.db import SessionMaker, create_engine, create_sessionmaker
from shared.messaging.tables import MessagingTables, define_messaging_tables


@pytest.fixture
async def sqlite_messaging(tmp_path) -> AsyncIterator[tuple[MessagingTables, SessionMaker]]:
    """The inbox and outbox tables on the embedded SQLite database (`make run`)."""
    metadata = MetaData()
    tables = define_messaging_tables(metadata)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'messaging.sqlite3'}")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield tables, create_sessionmaker(engine)
    await engine.dispose()
