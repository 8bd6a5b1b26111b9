"""Render on the real RabbitMQ, PostgreSQL and S3 server.

Every document from its event, one document per subject and revision, and unrenderable
documents dead-lettered once.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aio_pika
import pytest
from minio import Minio
from openpyxl import load_workbook
from sqlalchemy import select

from services.render.domain.tables import template_to_data
from services.render.models import RenderedDocument, RenderFailure, messaging_tables
from services.render.service import document_key, upload_table_template
from services.render.subscribers import handlers
from services.render.workers import ProcessRenderWorker, RenderCall
from shared.events import (
    Applicant,
    ApplicationForm,
    ApplicationResubmitted,
    ApplicationSubmitted,
    DocumentFailed,
    DocumentRendered,
    Event,
    GroupMember,
)
from shared.messaging.broker import queue_depths
from shared.messaging.topology import EVENTS_EXCHANGE, SERVICE_QUEUES
from shared.priority import BACKGROUND_NICENESS
from shared.runtime import Runtime
from tests.builders import application_form
from tests.render.samples import (
    application_awarded,
    campaign_forwarded,
    group_registered,
    pdf_text,
    shipped_template,
    squash,
    table_requested,
    table_rows,
    unique,
)

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.infra import Infra

RENDER_QUEUE = SERVICE_QUEUES["render"]
PUBLIC_URL = "https://qcflow.example.cn"


@pytest.fixture(scope="module")
def render_worker() -> Iterator[ProcessRenderWorker]:
    """The production default: documents drawn in a child process (one per module: warm)."""
    worker = ProcessRenderWorker(PUBLIC_URL)
    yield worker
    worker.close()


@pytest.fixture
async def runtime(
    infra: Infra, vhost: str, bucket: str, tmp_path: Path, render_worker: ProcessRenderWorker
) -> AsyncIterator[Runtime]:
    settings = infra.settings("render", smtp_port=1, bucket=bucket, data_dir=tmp_path)
    started = Runtime.build(
        settings.model_copy(update={"amqp_url": infra.amqp_url(vhost=vhost)}), messaging_tables
    )
    started.consume(handlers(render_worker, started.store, started.transaction))
    await started.start()
    yield started
    await started.stop()


async def publish(runtime: Runtime, event: Event) -> None:
    connection = await aio_pika.connect(runtime.settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(EVENTS_EXCHANGE)
        await exchange.publish(
            aio_pika.Message(
                event.model_dump_json().encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT
            ),
            routing_key=event.type,
        )


async def eventually(check: Callable[[], Awaitable[Any]], timeout_s: float = 30) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        value = await check()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.1)


async def settled(runtime: Runtime) -> bool:
    depths = await queue_depths(runtime.broker, RENDER_QUEUE)
    return depths["messages"] == 0


async def documents(runtime: Runtime, subject_id: str) -> list[RenderedDocument]:
    async with runtime.transaction() as session:
        rows = await session.scalars(
            select(RenderedDocument)
            .where(RenderedDocument.subject_id == subject_id)
            .order_by(RenderedDocument.revision, RenderedDocument.format)
        )
        return list(rows)


async def announced(runtime: Runtime, event_type: str, subject_id: str) -> list[dict[str, Any]]:
    outbox = messaging_tables.outbox
    async with runtime.transaction() as session:
        payloads = await session.scalars(
            select(outbox.c.payload).where(outbox.c.event_type == event_type)
        )
        events = [json.loads(payload) for payload in payloads]
    return [event for event in events if event["subject_id"] == subject_id]


def stored_keys(runtime: Runtime, prefix: str) -> list[str]:
    settings = runtime.settings
    client = Minio(
        settings.s3_endpoint,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key.get_secret_value(),
        secure=settings.s3_secure,
        region=settings.s3_region,
    )
    return sorted(
        str(item.object_name)
        for item in client.list_objects(settings.s3_bucket, prefix=prefix, recursive=True)
    )


async def rendered_event(runtime: Runtime, subject_id: str, count: int = 1) -> DocumentRendered:
    async def ready() -> list[dict[str, Any]]:
        events = await announced(runtime, "document.rendered", subject_id)
        return events if len(events) >= count else []

    events = await eventually(ready)
    assert len(events) == count, f"no document.rendered for {subject_id}"
    return DocumentRendered.model_validate(events[-1])


def submitted(application_id: uuid.UUID, revision: int) -> ApplicationSubmitted:
    form = application_form()
    form["members"] = [GroupMember(**member) for member in form["members"]]
    kind = ApplicationSubmitted if revision == 1 else ApplicationResubmitted
    return kind(
        application_id=application_id,
        revision=revision,
        unit_id="xizang",
        enterprise_id="xz-power",
        applicant=Applicant(user_id="u1", name="朗杰", email="a@example.com"),
        form=ApplicationForm(recommending_unit_name="西藏自治区质量协会", **form),
        evidence=(),
        submitted_at=datetime.now(UTC),
    )


async def test_registration_rendered_twice_is_one_document(runtime: Runtime) -> None:
    group = group_registered(group_id=unique("group"))
    duplicate = group.model_copy(update={"event_id": uuid.uuid4()})

    await publish(runtime, group)
    await publish(runtime, duplicate)

    event = await rendered_event(runtime, group.group_id)
    assert await eventually(lambda: settled(runtime))
    await asyncio.sleep(0.5)
    rows = await documents(runtime, group.group_id)
    assert [(row.format, row.revision, row.document_kind) for row in rows] == [
        ("docx", 2023, "registration_form"),
        ("pdf", 2023, "registration_form"),
    ]
    assert stored_keys(runtime, f"documents/{group.group_id}/") == [
        document_key(group.group_id, "registration_form", 2023, "docx"),
        document_key(group.group_id, "registration_form", 2023, "pdf"),
    ]
    assert len(await announced(runtime, "document.rendered", group.group_id)) == 1
    assert event.subject_type == "group"
    assert event.template_version == rows[0].template_version == "registration_form/2023.1"
    assert {file.sha256 for file in event.files} == {row.sha256 for row in rows}
    pdf = await runtime.store.get_bytes(
        document_key(group.group_id, "registration_form", 2023, "pdf")
    )
    assert squash(group.enterprise_name) in pdf_text(pdf)


async def test_submission_and_resubmission_render_one_form_per_revision(runtime: Runtime) -> None:
    application_id = uuid.uuid4()
    subject_id = str(application_id)

    await publish(runtime, submitted(application_id, 1))
    await rendered_event(runtime, subject_id)
    await publish(runtime, submitted(application_id, 2))
    await rendered_event(runtime, subject_id, count=2)

    rows = await documents(runtime, subject_id)
    assert [(row.revision, row.format) for row in rows] == [
        (1, "docx"),
        (1, "pdf"),
        (2, "docx"),
        (2, "pdf"),
    ]
    assert stored_keys(runtime, f"documents/{subject_id}/") == sorted(
        row.storage_key for row in rows
    )


async def test_award_renders_the_certificate_with_exact_names(runtime: Runtime) -> None:
    award = application_awarded(
        certificate_serial=unique("QC2023"), enterprise_name="中国铁建重工集团股份有限公司"
    )

    await publish(runtime, award)

    event = await rendered_event(runtime, award.certificate_serial)
    assert (event.subject_type, event.document_kind, event.unit_id) == (
        "certificate",
        "certificate",
        "xizang",
    )
    assert [file.format for file in event.files] == ["pdf"]
    text = pdf_text(await runtime.store.get_bytes(event.files[0].storage_key))
    assert squash(f"{award.enterprise_name}{award.group_name}") in text
    assert f"{PUBLIC_URL}/verify/{award.certificate_serial}" in text


async def test_forward_renders_the_notice(runtime: Runtime) -> None:
    notice = campaign_forwarded(unit_id=unique("unit"))

    await publish(runtime, notice)

    event = await rendered_event(runtime, f"{notice.unit_id}-2023")
    assert (event.subject_type, event.document_kind) == ("notice", "forwarded_notice")
    text = pdf_text(await runtime.store.get_bytes(event.files[0].storage_key))
    assert notice.unit_doc_number in text
    assert squash(notice.title) in text


async def test_table_request_renders_three_formats_with_the_current_template(
    runtime: Runtime,
) -> None:
    request = table_requested("activity_statistics", request_id=unique("req"))

    await publish(runtime, request)

    event = await rendered_event(runtime, request.request_id)
    assert (event.subject_type, event.request_id, event.unit_id) == (
        "unit_table",
        request.request_id,
        "xizang",
    )
    assert [file.format for file in event.files] == ["docx", "pdf", "xlsx"]
    rows = await documents(runtime, request.request_id)
    assert {row.template_version for row in rows} == {event.template_version}
    assert event.template_version.startswith("activity_statistics/v")
    xlsx = await runtime.store.get_bytes(
        document_key(request.request_id, "activity_statistics", 1, "xlsx")
    )
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet is not None
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "35.00%" in values  # 7 achievements / 20 registered groups


async def test_new_template_version_is_used_and_recorded(runtime: Runtime) -> None:
    kind = "review_summary"
    shipped = shipped_template(kind)
    changed = template_to_data(shipped) | {"title": "{year}年度成果评审汇总表（修订）"}
    async with runtime.transaction() as session:
        upload = await upload_table_template(
            session, kind=kind, definition=changed, uploaded_by="admin", now=datetime.now(UTC)
        )
    request = table_requested(kind, request_id=unique("req"), formats=("pdf",))
    try:
        await publish(runtime, request)
        event = await rendered_event(runtime, request.request_id)
    finally:
        async with runtime.transaction() as session:  # leave the shipped content current
            await upload_table_template(
                session,
                kind=kind,
                definition=template_to_data(shipped),
                uploaded_by="admin",
                now=datetime.now(UTC),
            )

    assert event.template_version == upload["template_version"]
    rows = await documents(runtime, request.request_id)
    assert [row.template_version for row in rows] == [upload["template_version"]]
    pdf = await runtime.store.get_bytes(event.files[0].storage_key)
    assert "2023年度成果评审汇总表（修订）" in pdf_text(pdf)


async def test_unrenderable_table_fails_once_is_dead_lettered_and_blocks_nothing(
    runtime: Runtime,
) -> None:
    bad_rows = (*table_rows("recommendation", 2), {"enterprise_name": "甲公司", "score": "优秀"})
    bad = table_requested(request_id=unique("req"), rows=bad_rows)
    again = bad.model_copy(update={"event_id": uuid.uuid4()})
    good = group_registered(group_id=unique("group"))

    await publish(runtime, bad)
    await publish(runtime, again)
    await publish(runtime, good)

    await rendered_event(runtime, good.group_id)

    async def dead_letters() -> int:
        return (await queue_depths(runtime.broker, RENDER_QUEUE))["dead_letters"]

    assert await eventually(lambda: _equals(dead_letters, 2)) == 2
    failures = await announced(runtime, "document.failed", bad.request_id)
    assert len(failures) == 1
    failure = DocumentFailed.model_validate(failures[0])
    assert (failure.subject_type, failure.request_id, failure.document_kind) == (
        "unit_table",
        bad.request_id,
        "recommendation",
    )
    assert "第3行" in failure.reason
    assert "本级评审得分" in failure.reason
    assert await documents(runtime, bad.request_id) == []
    assert stored_keys(runtime, f"documents/{bad.request_id}/") == []
    async with runtime.transaction() as session:
        recorded = await session.scalars(
            select(RenderFailure.reason).where(RenderFailure.subject_id == bad.request_id)
        )
        assert list(recorded) == [failure.reason]


async def _equals(check: Callable[[], Awaitable[int]], expected: int) -> int:
    value = await check()
    return value if value == expected else 0


async def test_a_render_child_that_dies_is_replaced_and_its_document_rendered_once(
    runtime: Runtime, render_worker: ProcessRenderWorker
) -> None:
    application_id = uuid.uuid4()
    await publish(runtime, submitted(application_id, 1))
    await rendered_event(runtime, str(application_id))  # the child is up and warm
    child = await render_worker.child_pid()
    os.kill(child, signal.SIGKILL)

    again = uuid.uuid4()
    await publish(runtime, submitted(again, 1))
    await rendered_event(runtime, str(again))

    assert [(row.revision, row.format) for row in await documents(runtime, str(again))] == [
        (1, "docx"),
        (1, "pdf"),
    ]
    assert await announced(runtime, "document.failed", str(again)) == []
    assert (await queue_depths(runtime.broker, RENDER_QUEUE))["dead_letters"] == 0
    assert await render_worker.child_pid() != child


async def test_the_render_child_yields_the_cores_to_request_handling(
    render_worker: ProcessRenderWorker,
) -> None:
    child = await render_worker.child_pid()
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, child) == max(own, BACKGROUND_NICENESS)


async def test_the_render_child_freezes_its_warm_heap_after_the_first_document() -> None:
    worker = ProcessRenderWorker(PUBLIC_URL)
    form = ApplicationForm(recommending_unit_name="西藏自治区质量协会", **application_form())
    draw_form = RenderCall("application_form", (form,))
    try:
        assert await worker.child_frozen_objects() == 0
        assert set(await worker.render(draw_form)) == {"pdf", "docx"}
        frozen = await worker.child_frozen_objects()
        assert frozen > 10_000  # modules, fonts, stylesheets
        await worker.render(draw_form)
        assert await worker.child_frozen_objects() == frozen  # once, not per document
    finally:
        worker.close()
