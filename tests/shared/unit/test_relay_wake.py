"""The outbox relay is woken after a commit only when that transaction wrote outbox rows.

Waking it costs a relay transaction; a consumer whose handler publishes nothing used to pay one
per consumed event.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import create_engine, create_sessionmaker
from shared.events import ApplicationWithdrawn
from shared.messaging.consumer import EventConsumer
from shared.messaging.outbox import add_to_outbox
from shared.messaging.tables import MessagingTables, define_messaging_tables

pytestmark = pytest.mark.unit


def withdrawn() -> ApplicationWithdrawn:
    return ApplicationWithdrawn(application_id=uuid.uuid4(), unit_id="xizang", enterprise_id="e1")


@pytest.fixture
async def tables_and_sessions(tmp_path) -> AsyncIterator[tuple[MessagingTables, object]]:
    metadata = MetaData()
    tables = define_messaging_tables(metadata)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'wake.sqlite3'}")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield tables, create_sessionmaker(engine)
    await engine.dispose()


async def test_the_relay_is_woken_only_after_handlers_that_wrote_to_the_outbox(
    tables_and_sessions,
):
    tables, sessionmaker = tables_and_sessions
    wakes: list[str] = []

    async def records_only(_session: AsyncSession, _event: ApplicationWithdrawn) -> None:
        return None

    async def publishes(session: AsyncSession, event: ApplicationWithdrawn) -> None:
        await add_to_outbox(session, tables, withdrawn())

    def consumer(handler) -> EventConsumer:
        return EventConsumer(
            sessionmaker,
            tables,
            {"application.withdrawn": handler},
            wake_relay=lambda: wakes.append(handler.__name__),
        )

    assert await consumer(records_only).apply(withdrawn().model_dump_json().encode()) is True
    assert wakes == []
    assert await consumer(publishes).apply(withdrawn().model_dump_json().encode()) is True
    assert wakes == ["publishes"]
