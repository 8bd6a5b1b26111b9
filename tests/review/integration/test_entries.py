"""Entries from intake's events, with revisions, files and organisation scoping."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika

from shared.auth import Role
from shared.events import (
    ApplicationResubmitted,
    ApplicationWithdrawn,
    DocumentRendered,
    EvidenceStored,
    RenderedFile,
)
from shared.messaging.topology import EVENTS_EXCHANGE
from tests.builders import unique
from tests.review.integration.conftest import ReviewService
from tests.review.support import ReviewClient, evidence_file, submitted_event


async def publish(amqp_url: str, routing_key: str, body: bytes) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(EVENTS_EXCHANGE)
        await exchange.publish(aio_pika.Message(body), routing_key=routing_key)


async def poll(check: Callable[[], Awaitable[Any]], timeout_s: float = 20) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        value = await check()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.1)


async def test_events_from_the_broker_build_the_entry_with_revisions_and_files(
    review: ReviewService,
):
    unit = unique("xizang")
    first = submitted_event(unit_id=unit, enterprise_id="xz-power", evidence=(evidence_file(),))
    secretary = review.people.secretary(unit)
    amqp_url = review.runtime.settings.amqp_url

    await publish(amqp_url, first.type, first.model_dump_json().encode())
    entry_url = f"/api/entries/{first.application_id}"
    assert await poll(lambda: _status(secretary, entry_url, 200))

    stored = EvidenceStored(
        application_id=first.application_id, unit_id=unit, file=evidence_file("成果报告.pdf")
    )
    await publish(amqp_url, stored.type, stored.model_dump_json().encode())
    files = await poll(lambda: _len_at_least(secretary, f"{entry_url}/files", 2))
    assert sorted(f["filename"] for f in files) == ["成果报告.pdf", "活动记录.pdf"]

    withdrawn = ApplicationWithdrawn(
        application_id=first.application_id,
        unit_id=unit,
        enterprise_id="xz-power",
        reason="重复申报",
    )
    await publish(amqp_url, withdrawn.type, withdrawn.model_dump_json().encode())
    entry = await poll(lambda: _status_is(secretary, entry_url, "withdrawn"))
    assert entry["revision"] == 1


async def test_resubmission_keeps_every_revision(review: ReviewService):
    unit = unique("xizang")
    first = submitted_event(unit_id=unit, enterprise_id="xz-power")
    second = ApplicationResubmitted(
        **{**first.model_dump(exclude={"event_id", "type"}), "revision": 2}
    )
    await review.deliver(first, second, first)

    secretary = review.people.secretary(unit)
    revisions = (await secretary.get(f"/api/entries/{first.application_id}/revisions")).json()
    assert [r["revision"] for r in revisions] == [1, 2]
    assert [r["event_type"] for r in revisions] == [
        "application.submitted",
        "application.resubmitted",
    ]
    entry = (await secretary.get(f"/api/entries/{first.application_id}")).json()
    assert (entry["revision"], entry["status"]) == (2, "awaiting_screening")


async def test_each_unit_sees_only_its_own_entries(review: ReviewService):
    unit_a, unit_b = unique("xizang"), unique("sichuan")
    entry_a = submitted_event(unit_id=unit_a, enterprise_id="xz-power")
    entry_b = submitted_event(unit_id=unit_b, enterprise_id="sc-steel", topic_type="创新型")
    await review.deliver(entry_a, entry_b)

    listed = (await review.people.secretary(unit_a).get("/api/entries")).json()
    assert [e["application_id"] for e in listed] == [str(entry_a.application_id)]

    foreign = await review.people.secretary(unit_b).get(f"/api/entries/{entry_a.application_id}")
    assert foreign.status_code == 403
    assert "推荐单位" in foreign.json()["detail"]


async def test_queue_filters_by_status_and_topic_type(review: ReviewService):
    unit = unique("xizang")
    solving = submitted_event(unit_id=unit, enterprise_id="e1")
    innovation = submitted_event(unit_id=unit, enterprise_id="e2", topic_type="创新型")
    await review.deliver(solving, innovation)
    secretary = review.people.secretary(unit)

    by_type = (await secretary.get("/api/entries", topic_type="创新型")).json()
    by_status = (await secretary.get("/api/entries", status="accepted")).json()

    assert [e["application_id"] for e in by_type] == [str(innovation.application_id)]
    assert by_status == []


async def test_national_staff_and_unassigned_reviewers_see_nothing_before_recommendation(
    review: ReviewService,
):
    unit = unique("xizang")
    event = submitted_event(unit_id=unit, enterprise_id="e1")
    await review.deliver(event)
    url = f"/api/entries/{event.application_id}"

    national = review.people.national()
    reviewer = review.people.as_(Role.UNIT_REVIEWER, unit)

    assert (await national.get(url)).status_code == 403
    assert (await reviewer.get(url)).status_code == 403
    assert str(event.application_id) not in [
        e["application_id"] for e in (await national.get("/api/entries")).json()
    ]
    assert (await reviewer.get("/api/entries")).json() == []


async def test_unknown_entry_is_404_and_bad_id_is_422(review: ReviewService):
    secretary = review.people.secretary(unique("xizang"))
    missing = await secretary.get(f"/api/entries/{uuid.uuid4()}")
    malformed = await secretary.get("/api/entries/not-an-id")
    assert missing.status_code == 404
    assert malformed.status_code == 422
    assert "编号" in malformed.json()["detail"]


async def _status(client: ReviewClient, url: str, code: int) -> bool:
    return (await client.get(url)).status_code == code


async def _status_is(client: ReviewClient, url: str, status: str) -> dict[str, Any] | None:
    body = (await client.get(url)).json()
    return body if body.get("status") == status else None


async def _len_at_least(client: ReviewClient, url: str, count: int) -> list[Any] | None:
    body = (await client.get(url)).json()
    return body if isinstance(body, list) and len(body) >= count else None


async def test_reviewers_download_evidence_and_the_generated_form(review: ReviewService):
    unit = unique("xizang")
    content = b"%PDF-1.4 evidence"
    evidence = evidence_file("活动记录.pdf")
    await review.runtime.store.put_bytes(
        evidence.storage_key, content, content_type="application/pdf"
    )
    event = submitted_event(unit_id=unit, enterprise_id="xz-power", evidence=(evidence,))
    generated_key = f"documents/{event.application_id}/r1.pdf"
    await review.runtime.store.put_bytes(
        generated_key, b"%PDF form", content_type="application/pdf"
    )
    rendered = DocumentRendered(
        subject_type="application",
        subject_id=str(event.application_id),
        document_kind="application_form",
        revision=1,
        template_version="v1",
        files=(
            RenderedFile(
                format="pdf",
                storage_key=generated_key,
                sha256="1" * 64,
                size=9,
                content_type="application/pdf",
            ),
        ),
    )
    await review.deliver(event, rendered)
    secretary = review.people.secretary(unit)

    files = (await secretary.get(f"/api/entries/{event.application_id}/files")).json()
    by_kind = {f["kind"]: f for f in files}
    evidence_download = await secretary.get(
        f"/api/entries/{event.application_id}/files/{evidence.file_id}"
    )
    form_download = await secretary.get(
        f"/api/entries/{event.application_id}/files/{by_kind['generated:application_form']['file_id']}"
    )
    foreign = await review.people.secretary(unique("other")).get(
        f"/api/entries/{event.application_id}/files/{evidence.file_id}"
    )

    assert sorted(by_kind) == ["evidence", "generated:application_form"]
    assert evidence_download.content == content
    assert "filename*=UTF-8''" in evidence_download.headers["content-disposition"]
    assert form_download.content == b"%PDF form"
    assert foreign.status_code == 403
