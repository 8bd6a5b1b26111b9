"""At-least-once delivery, handled once, dead-lettering: on the real RabbitMQ and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aio_pika
import pytest
from sqlalchemy import func, select

from services.review import service as review_service
from services.review.models import Entry, EntryFile, messaging_tables
from shared.events import (
    Applicant,
    ApplicationForm,
    ApplicationSubmitted,
    EvidenceFile,
    EvidenceStored,
    GroupMember,
)
from shared.messaging.broker import queue_depths
from shared.messaging.consumer import claim_in_inbox
from shared.messaging.outbox import count_pending
from shared.messaging.topology import DELIVERY_LIMIT, EVENTS_EXCHANGE, SERVICE_QUEUES
from shared.runtime import Runtime
from tests.builders import application_form
from tests.support.infra import Infra
from tests.support.overlap import run_overlapping
from tests.support.proxy import TcpProxy

REVIEW_QUEUE = SERVICE_QUEUES["review"]
FAST_RETRIES = {"retry_base_delay_s": 0.05, "retry_max_delay_s": 0.5}


def submitted_event(**overrides: Any) -> ApplicationSubmitted:
    form = application_form()
    form["members"] = [GroupMember(**m) for m in form["members"]]
    values: dict[str, Any] = {
        "application_id": uuid.uuid4(),
        "revision": 1,
        "unit_id": "xizang",
        "enterprise_id": "xz-power",
        "campaign_id": "2023",
        "applicant": Applicant(user_id="u1", name="朗杰", email="a@example.com"),
        "form": ApplicationForm(recommending_unit_name="西藏自治区质量协会", **form),
        "evidence": (),
        "submitted_at": datetime.now(UTC),
    }
    values.update(overrides)
    return ApplicationSubmitted(**values)


async def publish_raw(
    amqp_url: str, body: bytes, routing_key: str = "application.submitted"
) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(EVENTS_EXCHANGE)
        await exchange.publish(
            aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=routing_key,
        )


async def eventually(check: Callable[[], Any], timeout_s: float = 30) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        value = await check()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.2)


@pytest.fixture
async def review_runtime(infra: Infra, vhost: str, bucket: str, tmp_path) -> AsyncIterator[Runtime]:
    settings = infra.settings("review", smtp_port=1, bucket=bucket, data_dir=tmp_path)
    runtime = Runtime.build(
        settings.model_copy(update={"amqp_url": infra.amqp_url(vhost=vhost), **FAST_RETRIES}),
        messaging_tables,
    )
    yield runtime
    await runtime.stop()


async def dead_letters(runtime: Runtime) -> int:
    return (await queue_depths(runtime.broker, REVIEW_QUEUE))["dead_letters"]


async def test_redelivered_event_has_one_effect(review_runtime: Runtime):
    calls: list[uuid.UUID] = []

    async def register(session, event):
        calls.append(event.event_id)
        await review_service.register_submission(session, event)

    review_runtime.consume({"application.submitted": register})
    await review_runtime.start()
    event = submitted_event()
    for _ in range(3):
        await publish_raw(review_runtime.settings.amqp_url, event.model_dump_json().encode())

    async def drained() -> bool:
        depths = await queue_depths(review_runtime.broker, REVIEW_QUEUE)
        return depths["messages"] == 0 and len(calls) >= 1

    assert await eventually(drained)
    await asyncio.sleep(1.0)
    assert calls == [event.event_id]
    async with review_runtime.transaction() as session:
        entries = await session.scalar(
            select(func.count()).where(Entry.application_id == event.application_id)
        )
    assert entries == 1


@pytest.mark.parametrize("first_commits", [True, False], ids=["first-commits", "first-rolls-back"])
async def test_concurrent_duplicate_waits_for_the_first_claim(
    review_runtime: Runtime, first_commits: bool
):
    """Two replicas take the same event at once: the second claim blocks until the first ends."""
    event = submitted_event()
    first_claimed, first_may_end = asyncio.Event(), asyncio.Event()

    async def first() -> bool:
        async with review_runtime.sessionmaker() as session:
            claimed = await claim_in_inbox(session, messaging_tables, event)
            first_claimed.set()
            await first_may_end.wait()
            await (session.commit() if first_commits else session.rollback())
            return claimed

    async def second() -> bool:
        await first_claimed.wait()
        async with review_runtime.transaction() as session:
            return await claim_in_inbox(session, messaging_tables, event)

    first_task, second_task = asyncio.create_task(first()), asyncio.create_task(second())
    await first_claimed.wait()
    await asyncio.sleep(0.5)
    assert not second_task.done(), "the second claim must wait for the first transaction"
    first_may_end.set()
    assert await first_task is True
    assert await second_task is (not first_commits)


async def test_evidence_and_its_submission_handled_at_once_keep_the_file_once(
    review_runtime: Runtime,
):
    """Two replicas (or two messages in flight) register one file: the second waits, no error."""
    file = EvidenceFile(
        file_id=uuid.uuid4(),
        kind="evidence",
        filename="活动记录.pdf",
        content_type="application/pdf",
        size=1024,
        sha256="0" * 64,
        storage_key="evidence/x.pdf",
    )
    submitted = submitted_event(evidence=(file,))
    stored = EvidenceStored(application_id=submitted.application_id, unit_id="xizang", file=file)

    await run_overlapping(
        review_runtime.transaction,
        lambda session: review_service.register_evidence(session, stored),
        lambda session: review_service.register_submission(session, submitted),
    )

    async with review_runtime.transaction() as session:
        files = await session.scalar(select(func.count()).where(EntryFile.file_id == file.file_id))
    assert files == 1


async def test_failed_handler_leaves_no_inbox_row_and_is_retried(review_runtime: Runtime):
    calls: list[int] = []

    async def fail_once(session, event):
        calls.append(1)
        await review_service.register_submission(session, event)
        if len(calls) == 1:
            raise RuntimeError("transient failure after the effect was written")

    review_runtime.consume({"application.submitted": fail_once})
    await review_runtime.start()
    event = submitted_event()
    await publish_raw(review_runtime.settings.amqp_url, event.model_dump_json().encode())

    assert await eventually(lambda: _async(len(calls) >= 2))
    await asyncio.sleep(0.5)
    assert len(calls) == 2
    assert await dead_letters(review_runtime) == 0


async def test_always_failing_handler_is_dead_lettered_after_delivery_limit(
    review_runtime: Runtime,
):
    calls: list[int] = []

    async def always_fail(_session, _event):
        calls.append(1)
        raise RuntimeError("poison")

    review_runtime.consume({"application.submitted": always_fail})
    await review_runtime.start()
    await publish_raw(
        review_runtime.settings.amqp_url, submitted_event().model_dump_json().encode()
    )

    assert await eventually(lambda: dead_letters(review_runtime), timeout_s=60) == 1
    assert DELIVERY_LIMIT <= len(calls) <= DELIVERY_LIMIT + 1
    depths = await queue_depths(review_runtime.broker, REVIEW_QUEUE)
    assert depths["messages"] == 0


async def test_unreadable_message_is_dead_lettered_at_once(review_runtime: Runtime):
    calls: list[int] = []

    async def record(_session, _event):
        calls.append(1)

    review_runtime.consume({"application.submitted": record})
    await review_runtime.start()
    await publish_raw(
        review_runtime.settings.amqp_url, b'{"type": "application.submitted", "form": 1}'
    )

    assert await eventually(lambda: dead_letters(review_runtime)) == 1
    assert calls == []


async def test_publish_while_broker_unreachable_leaves_outbox_when_it_is_back(
    infra: Infra, vhost: str, bucket: str, tmp_path
):
    proxy = TcpProxy("127.0.0.1", 5672).start()
    settings = infra.settings("review", smtp_port=1, bucket=bucket, data_dir=tmp_path)
    runtime = Runtime.build(
        settings.model_copy(
            update={
                "amqp_url": infra.amqp_url(port=proxy.port, vhost=vhost),
                "publish_timeout_s": 2.0,
            }
        ),
        messaging_tables,
    )
    observer = Runtime.build(
        settings.model_copy(update={"amqp_url": infra.amqp_url(vhost=vhost)}), messaging_tables
    )
    await runtime.start()
    await observer.broker.connect()
    try:
        proxy.cut()
        event = submitted_event()
        async with runtime.transaction() as session:
            await runtime.publish_later(session, event)
        await asyncio.sleep(3.0)
        async with runtime.transaction() as session:
            assert await count_pending(session, runtime.tables) >= 1
        assert (await queue_depths(observer.broker, REVIEW_QUEUE))["messages"] == 0

        proxy.restore()

        async def published() -> bool:
            async with runtime.transaction() as session:
                return await count_pending(session, runtime.tables) == 0

        assert await eventually(published, timeout_s=60)
        depths = await queue_depths(observer.broker, REVIEW_QUEUE)
        assert depths["messages"] + depths["consumers"] >= 1
    finally:
        await runtime.stop()
        await observer.broker.stop()
        proxy.close()


async def _async(value: Any) -> Any:
    return value
