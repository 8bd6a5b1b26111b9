"""The embedded SQLite database hands back aware UTC instants, like PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, insert, select

from shared.db import create_engine

CHINA = timezone(timedelta(hours=8))


async def test_sqlite_returns_aware_utc_instants_and_compares_them_in_sql(tmp_path):
    metadata = MetaData()
    table = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("at", DateTime(timezone=True)),
    )
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    deadline = datetime(2023, 6, 28, 23, 59, tzinfo=CHINA)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.execute(insert(table).values(id=1, at=deadline))
        loaded = (await connection.execute(select(table.c.at))).scalar_one()
        earlier = await connection.execute(
            select(table.c.id).where(table.c.at > datetime(2023, 6, 28, 15, 0, tzinfo=UTC))
        )
        later = await connection.execute(
            select(table.c.id).where(table.c.at > datetime(2023, 6, 28, 16, 0, tzinfo=UTC))
        )
    await engine.dispose()
    assert loaded == deadline
    assert loaded.tzinfo is not None
    assert loaded > datetime(2023, 6, 28, 15, 0, tzinfo=UTC)  # naive values would raise here
    assert earlier.scalars().all() == [1]
    assert later.scalars().all() == []
