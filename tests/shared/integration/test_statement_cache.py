"""Many-row inserts run on every event: compiled once, then taken from SQLAlchemy's cache."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notify import models as notify_models
from services.notify.domain.recipients import Recipient
from services.notify.notifications import Notification, _delivery_values, _insert_new
from services.review import models as review_models
from shared.db import insert_ignore_many
from shared.messaging.tables import MessagingTables
from shared.runtime import Runtime
from shared.settings import ServiceName
from tests.support.infra import Infra


@asynccontextmanager
async def runtime_of(
    infra: Infra, tmp_path: Path, service: ServiceName, tables: MessagingTables
) -> AsyncIterator[Runtime]:
    settings = infra.settings(service, smtp_port=1, bucket="unused", data_dir=tmp_path)
    runtime = Runtime.build(settings, tables)
    try:
        yield runtime
    finally:
        await runtime.engine.dispose()


@contextmanager
def cache_use_of_inserts_into(engine: AsyncEngine, table: str) -> Iterator[list[CacheStats]]:
    """How each INSERT into `table` got its compiled form, in order."""
    seen: list[CacheStats] = []

    def note(*args: Any) -> None:
        statement, context = args[2], args[4]  # of (conn, cursor, statement, params, context, many)
        if statement.startswith(f"INSERT INTO {table} "):
            seen.append(context.cache_hit)

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", note)


def entry_file(application_id: uuid.UUID) -> dict[str, Any]:
    return {
        "file_id": uuid.uuid4(),
        "application_id": application_id,
        "kind": "evidence",
        "filename": "活动记录.pdf",
        "content_type": "application/pdf",
        "size": 1024,
        "sha256": "0" * 64,
        "storage_key": f"evidence/{uuid.uuid4()}",
    }


async def test_many_rows_ignored_on_conflict_reuse_one_compiled_statement(
    infra: Infra, tmp_path: Path
):
    async with runtime_of(infra, tmp_path, "review", review_models.messaging_tables) as review:
        await insert_entry_files_three_times(review)


async def insert_entry_files_three_times(review: Runtime) -> None:
    application_id = uuid.uuid4()
    first = [entry_file(application_id), entry_file(application_id)]
    with cache_use_of_inserts_into(review.engine, "entry_files") as seen:
        for rows in (first, [entry_file(application_id), first[0]], first):
            async with review.transaction() as session:
                await insert_ignore_many(session, review_models.EntryFile, rows)

    assert seen == [CacheStats.CACHE_MISS, CacheStats.CACHE_HIT, CacheStats.CACHE_HIT]
    async with review.reading() as session:
        stored = await session.scalar(
            select(func.count()).where(review_models.EntryFile.application_id == application_id)
        )
    assert stored == 3  # the repeated rows were left alone


def delivery(delivery_id: uuid.UUID) -> dict[str, Any]:
    receipt = Notification(
        template="submission_receipt",
        key=f"receipt:{uuid.uuid4()}:r1",
        subject_id=str(uuid.uuid4()),
        link="https://qcflow.example.cn/applications/1",
    )
    applicant = Recipient(kind="applicant", name="卓玛", email="zhuoma@example.cn")
    values = _delivery_values(receipt, applicant, "申报回执", now=datetime.now(UTC))
    return {**values, "delivery_id": delivery_id, "channel": "email", "recipient": applicant.email}


async def test_new_deliveries_reuse_one_compiled_statement_and_name_only_the_new(
    infra: Infra, tmp_path: Path
):
    async with runtime_of(infra, tmp_path, "notify", notify_models.messaging_tables) as notify:
        await insert_deliveries_twice(notify)


async def insert_deliveries_twice(notify: Runtime) -> None:
    known, new_ones = uuid.uuid4(), {uuid.uuid4(), uuid.uuid4()}
    with cache_use_of_inserts_into(notify.engine, "deliveries") as seen:
        async with notify.transaction() as session:
            assert await _insert_new(session, [delivery(known), delivery(uuid.uuid4())])
        async with notify.transaction() as session:
            rows = [delivery(known), *(delivery(delivery_id) for delivery_id in new_ones)]
            assert await _insert_new(session, rows) == new_ones

    assert seen[1:] == [CacheStats.CACHE_HIT]
