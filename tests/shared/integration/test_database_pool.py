"""Pooled connections the database closed are replaced before use, without a ping per checkout."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from shared.db import create_engine
from tests.support.infra import Infra


async def test_a_connection_the_server_closed_is_replaced_at_checkout(infra: Infra):
    engine = create_engine(infra.database_url("review"))
    observer = create_engine(infra.database_url("review"))
    try:
        async with engine.connect() as connection:
            pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with observer.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await asyncio.sleep(0.5)  # the server's hang-up reaches the pooled connection

        async with engine.connect() as connection:
            replaced = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert replaced != pid
    finally:
        await engine.dispose()
        await observer.dispose()
