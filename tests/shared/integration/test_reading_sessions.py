"""Requests that only read skip BEGIN and COMMIT; a reading session refuses to write."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.review.models import Entry, messaging_tables
from shared.runtime import Runtime
from tests.support.infra import Infra


@pytest.fixture
async def runtime(infra: Infra, tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = infra.settings("review", smtp_port=1, bucket="unused", data_dir=tmp_path)
    runtime = Runtime.build(settings, messaging_tables)
    yield runtime
    await runtime.engine.dispose()


async def transaction_start_times(session: AsyncSession) -> tuple[datetime, datetime]:
    """`now()` is when the statement's transaction began: one value per transaction."""
    first = await session.scalar(text("SELECT now()"))
    await asyncio.sleep(0.05)
    second = await session.scalar(text("SELECT now()"))
    assert first is not None
    assert second is not None
    return first, second


async def test_each_read_of_a_reading_session_is_a_transaction_of_its_own(runtime: Runtime):
    async with runtime.reading() as session:
        first, second = await transaction_start_times(session)
    assert first < second

    async with runtime.transaction() as session:
        first, second = await transaction_start_times(session)
    assert first == second  # the harness tells the two apart


async def test_a_reading_session_refuses_to_write(runtime: Runtime):
    application_id = uuid.uuid4()
    with pytest.raises(RuntimeError, match="transaction"):
        async with runtime.reading() as session:
            session.add(Entry(application_id=application_id, status="awaiting_screening"))

    async with runtime.reading() as session:
        stored = await session.scalar(
            select(func.count()).where(Entry.application_id == application_id)
        )
    assert stored == 0
