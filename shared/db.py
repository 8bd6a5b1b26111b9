"""Engine and session factories; the request/message boundary owns the transaction."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Dialect, MetaData, Table, event, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import AdaptedConnection, DBAPIConnection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.sql import sqltypes
from sqlalchemy.sql.dml import Insert, ReturningInsert

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SessionMaker = async_sessionmaker[AsyncSession]


def service_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        engine.sync_engine.dialect.colspecs = {
            **engine.sync_engine.dialect.colspecs,
            sqltypes.DateTime: AwareSQLiteDateTime,
        }
        return engine
    engine = create_async_engine(url, pool_size=10, max_overflow=10)
    event.listen(engine.sync_engine, "checkout", _replace_if_server_hung_up)
    return engine


def _replace_if_server_hung_up(
    dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
) -> None:
    """Pessimistic disconnect handling without a round trip.

    `pool_pre_ping` costs three round trips per checkout with asyncpg (BEGIN, a ping, ROLLBACK):
    in the peak drill, more than the statements of a typical transaction. A connection the server
    closed (restart, terminated backend, cut proxy) is already known to asyncpg as closed; the
    pool replaces it. A connection that breaks silently fails its statement instead, and that
    error invalidates the whole pool (SQLAlchemy's optimistic handling).
    """
    if cast("AdaptedConnection", dbapi_connection).driver_connection.is_closed():
        raise DisconnectionError("the database closed this pooled connection")


class AwareSQLiteDateTime(sqlite.DATETIME):
    """SQLite has no time zones: store instants as UTC, hand them back aware (as PostgreSQL does).

    Without this, values read back are naive and comparing them with an aware `now` fails.
    """

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        store = super().bind_processor(dialect)

        def process(value: Any) -> Any:  # noqa: ANN401 - whatever the column holds
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return store(value) if store else value

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        load = super().result_processor(dialect, coltype)

        def process(value: Any) -> Any:  # noqa: ANN401 - whatever the column holds
            loaded = load(value) if load else value
            if isinstance(loaded, datetime) and loaded.tzinfo is None:
                return loaded.replace(tzinfo=UTC)
            return loaded

        return process


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:  # noqa: ANN401 - DB-API connections are untyped
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessionmaker: SessionMaker) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits when the block ends, rolls back on any error."""
    async with sessionmaker() as session, session.begin():
        yield session


InsertTarget = Table | type[DeclarativeBase]


def dialect_insert(
    session: AsyncSession, target: InsertTarget
) -> postgresql.Insert | sqlite.Insert:
    """An INSERT in the session's dialect: PostgreSQL's and SQLite's both know ON CONFLICT."""
    return insert_in(session.get_bind().dialect.name, target)


def insert_in(dialect_name: str, target: InsertTarget) -> postgresql.Insert | sqlite.Insert:
    """For statements built once per dialect (`functools.cache`), their values bound later."""
    insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    return insert(target)


async def insert_ignore(
    session: AsyncSession, target: InsertTarget, values: Mapping[str, Any]
) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True if this call inserted the row.

    Under PostgreSQL a concurrent insert of the same key waits for the other transaction, then
    does nothing (it committed) or inserts (it rolled back): what makes inbox claims, reminders
    and deliveries happen once across replicas.
    """
    statement = _insert_ignore_statement(session.get_bind().dialect.name, target)
    return (await session.execute(statement, dict(values))).first() is not None


async def insert_ignore_many(
    session: AsyncSession, target: InsertTarget, rows: Sequence[Mapping[str, Any]]
) -> None:
    """One INSERT … ON CONFLICT DO NOTHING for all the rows; no statement for none.

    The rows are bound as parameters of a statement built once and go in one call (asyncpg
    pipelines them). Written into the statement (`.values(rows)`) they left it without a cache
    key: compiled again on every call.
    """
    if rows:
        statement = insert_ignoring_conflicts(session.get_bind().dialect.name, target)
        await session.execute(statement, [dict(row) for row in rows])


@functools.cache
def _insert_ignore_statement(dialect_name: str, target: InsertTarget) -> ReturningInsert[bool]:
    """Built once, values bound at execution: building it with them cost as much as running it."""
    return insert_ignoring_conflicts(dialect_name, target).returning(true())


@functools.cache
def insert_ignoring_conflicts(dialect_name: str, target: InsertTarget) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING, built once per dialect; rows are bound at execution."""
    return insert_in(dialect_name, target).on_conflict_do_nothing()
