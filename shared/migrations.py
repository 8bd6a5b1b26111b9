"""Alembic, one history per service (each service owns its tables)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from shared.db import create_engine

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


def alembic_config(service: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url)
    config.attributes["service"] = service
    return config


def upgrade(service: str, database_url: str) -> None:
    command.upgrade(alembic_config(service, database_url), "head")


def run_env(metadata: MetaData) -> None:
    """Body of every service's migrations/env.py (online, async engine)."""
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("sqlalchemy.url is not set")
    asyncio.run(_run_online(url, metadata))


async def _run_online(url: str, metadata: MetaData) -> None:
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_migrate, metadata)
        await connection.commit()
    await engine.dispose()


def _migrate(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True
    )
    with context.begin_transaction():
        context.run_migrations()
