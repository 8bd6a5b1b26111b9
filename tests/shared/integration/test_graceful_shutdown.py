"""Shutting down during a slow handler finishes it or rolls it back for redelivery; never half."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import func, select

from services.review import service as review_service
from services.review.models import Entry, messaging_tables
from shared.runtime import Runtime
from tests.shared.integration.test_delivery_guarantees import (
    FAST_RETRIES,
    eventually,
    publish_raw,
    submitted_event,
)
from tests.support.infra import Infra


def _runtime(infra: Infra, vhost: str, bucket: str, tmp_path: Any, grace_s: float) -> Runtime:
    settings = infra.settings("review", smtp_port=1, bucket=bucket, data_dir=tmp_path)
    return Runtime.build(
        settings.model_copy(
            update={
                "amqp_url": infra.amqp_url(vhost=vhost),
                "shutdown_grace_s": grace_s,
                **FAST_RETRIES,
            }
        ),
        messaging_tables,
    )


def _slow_two_step_handler(started: asyncio.Event, seconds: float):
    """Writes the entry, then takes its time: a half-applied effect would leave the entry."""

    async def handler(session, event) -> None:
        await review_service.register_submission(session, event)
        await session.flush()
        started.set()
        await asyncio.sleep(seconds)

    return handler


async def _entries(runtime: Runtime, application_id: uuid.UUID) -> int:
    async with runtime.transaction() as session:
        count = await session.scalar(
            select(func.count()).where(Entry.application_id == application_id)
        )
    return int(count or 0)


async def test_shutdown_waits_for_the_handler_in_flight(
    infra: Infra, vhost: str, bucket: str, tmp_path
):
    started = asyncio.Event()
    runtime = _runtime(infra, vhost, bucket, tmp_path, grace_s=10.0)
    runtime.consume({"application.submitted": _slow_two_step_handler(started, seconds=1.5)})
    await runtime.start()
    event = submitted_event()
    await publish_raw(runtime.settings.amqp_url, event.model_dump_json().encode())
    await asyncio.wait_for(started.wait(), 30)

    await runtime.stop()  # what SIGTERM does through the lifespan

    checker = _runtime(infra, vhost, bucket, tmp_path, grace_s=1.0)
    assert await _entries(checker, event.application_id) == 1, "the handler finished and committed"
    await checker.stop()


async def test_handler_cut_off_by_shutdown_is_rolled_back_and_redelivered(
    infra: Infra, vhost: str, bucket: str, tmp_path
):
    started = asyncio.Event()
    first = _runtime(infra, vhost, bucket, tmp_path, grace_s=0.5)
    first.consume({"application.submitted": _slow_two_step_handler(started, seconds=30)})
    await first.start()
    event = submitted_event()
    await publish_raw(first.settings.amqp_url, event.model_dump_json().encode())
    await asyncio.wait_for(started.wait(), 30)

    await first.stop()
    assert await _entries(first, event.application_id) == 0, "no half-applied effect"

    handled: list[str] = []

    async def register(session, submitted) -> None:
        handled.append(str(submitted.event_id))
        await review_service.register_submission(session, submitted)

    second = _runtime(infra, vhost, bucket, tmp_path, grace_s=5.0)
    second.consume({"application.submitted": register})
    await second.start()
    try:
        assert await eventually(lambda: _value(handled)) == [str(event.event_id)]
        assert await _entries(second, event.application_id) == 1
    finally:
        await second.stop()


async def _value(value: Any) -> Any:
    return value
