"""Review's decisions reach the application; returned → corrected → resubmitted; withdraw."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from services.intake.domain.deadlines import format_china_time
from services.intake.models import DeliveryRecord, messaging_tables
from shared.events import (
    ApplicationAccepted,
    ApplicationAwarded,
    ApplicationReturned,
    DocumentFailed,
    NotificationFailed,
    NotificationSent,
    ScreeningReason,
    UnitDisqualified,
)
from tests.builders import application_form
from tests.intake.integration.conftest import Intake, Season
from tests.intake.integration.test_applications import create_draft, submit
from tests.notify.events import rendered


async def status_becomes(
    intake: Intake, season: Season, app_id: str, expected: str
) -> dict[str, Any]:
    for _ in range(100):
        body = (
            await intake.client.get(f"/api/applications/{app_id}", headers=season.applicant)
        ).json()
        if body["status"] == expected:
            return dict(body)
        await asyncio.sleep(0.1)
    raise AssertionError(f"status stayed {body['status']}, expected {expected}")


async def submitted_application(intake: Intake, season: Season) -> dict[str, object]:
    draft = await create_draft(intake, season)
    code, body = await submit(intake, season, draft)
    assert code == 200, body
    return body


def decision_fields(season: Season, body: dict[str, object], revision: int = 1) -> dict[str, Any]:
    return {
        "application_id": uuid.UUID(str(body["application_id"])),
        "unit_id": season.unit_id,
        "enterprise_id": season.enterprise_id,
        "revision": revision,
        "decided_by": "sec",
    }


async def test_returned_shows_reasons_then_correction_is_resubmitted(
    intake: Intake, season: Season
):
    body = await submitted_application(intake, season)
    app_id = str(body["application_id"])
    deadline = datetime.now(UTC) + timedelta(days=3)
    await intake.publish(
        ApplicationReturned(
            **decision_fields(season, body),
            reasons=(ScreeningReason(code="name", label="企业名称与公章不一致", note="请核对"),),
            correction_deadline_at=deadline,
        )
    )
    returned = await status_becomes(intake, season, app_id, "returned")
    assert returned["status_label"] == "已退回修改"
    assert returned["decision"]["reasons"][0]["label"] == "企业名称与公章不一致"
    assert returned["decision"]["correction_deadline_text"] == (
        f"{format_china_time(deadline)}（北京时间）"
    )

    corrected = application_form(enterprise_name=season.enterprise_name, topic_name="新课题名称")
    edited = await intake.client.put(
        f"/api/applications/{app_id}", headers=season.applicant, json=corrected
    )
    assert edited.status_code == 200, edited.text
    code, resubmitted = await submit(intake, season, edited.json())
    assert code == 200, resubmitted
    assert (resubmitted["status"], resubmitted["revision"]) == ("resubmitted", 2)
    [event] = await intake.outbox("application.resubmitted", app_id)
    assert (event["revision"], event["form"]["topic_name"]) == (2, "新课题名称")


async def test_a_decision_about_an_older_revision_changes_nothing(intake: Intake, season: Season):
    body = await submitted_application(intake, season)
    app_id = str(body["application_id"])
    stale = ApplicationAccepted(**decision_fields(season, body, revision=0))
    fresh = ApplicationAwarded(
        **decision_fields(season, body),
        year=2023,
        certificate_serial="QC2023-0001",
        enterprise_name=season.enterprise_name,
        group_name="雪域先锋QC小组",
        topic_name="降低配电网线路故障停电时长",
    )
    await intake.publish(stale)
    await intake.publish(fresh)
    awarded = await status_becomes(intake, season, app_id, "awarded")
    assert awarded["status_label"] == "荣获全国优秀质量管理小组"


async def test_withdraw_before_screening_publishes_withdrawn(intake: Intake, season: Season):
    body = await submitted_application(intake, season)
    app_id = str(body["application_id"])
    response = await intake.client.post(
        f"/api/applications/{app_id}/withdraw", headers=season.applicant, json={"reason": "重复"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"
    [event] = await intake.outbox("application.withdrawn", app_id)
    assert event["reason"] == "重复"


async def test_withdraw_after_acceptance_is_refused(intake: Intake, season: Season):
    body = await submitted_application(intake, season)
    app_id = str(body["application_id"])
    await intake.publish(ApplicationAccepted(**decision_fields(season, body)))
    await status_becomes(intake, season, app_id, "accepted")
    response = await intake.client.post(
        f"/api/applications/{app_id}/withdraw", headers=season.applicant, json={}
    )
    assert response.status_code == 409
    assert "不能撤回" in response.json()["detail"]
    assert await intake.outbox("application.withdrawn", app_id) == []


async def test_unit_disqualified_marks_the_affected_applications(intake: Intake, season: Season):
    body = await submitted_application(intake, season)
    app_id = str(body["application_id"])
    await intake.publish(
        UnitDisqualified(
            unit_id=season.unit_id,
            unit_name="西藏自治区质量协会",
            reason="违规收取费用",
            affected_application_ids=(uuid.UUID(app_id),),
            decided_by="caq-admin",
        )
    )
    disqualified = await status_becomes(intake, season, app_id, "disqualified")
    assert "违规收取费用" in disqualified["decision"]["comment"]


async def test_notify_reports_about_the_application_are_shown(intake: Intake, season: Season):
    body = await submitted_application(intake, season)
    app_id = str(body["application_id"])

    def sent(subject_id: str) -> NotificationSent:
        return NotificationSent(
            delivery_id=f"d-{uuid.uuid4().hex[:8]}",
            channel="email",
            recipient="applicant@example.com",
            template="application.submitted",
            subject_id=subject_id,
        )

    await intake.publish(sent("not-an-application"))
    await intake.publish(sent(app_id))
    for _ in range(100):
        shown = (
            await intake.client.get(f"/api/applications/{app_id}", headers=season.applicant)
        ).json()["deliveries"]
        if shown:
            break
        await asyncio.sleep(0.1)
    assert [(d["recipient"], d["status_label"]) for d in shown] == [
        ("applicant@example.com", "已发送")
    ]


async def shown_when(intake: Intake, season: Season, app_id: str, check: Any) -> dict[str, Any]:
    for _ in range(100):
        body = (
            await intake.client.get(f"/api/applications/{app_id}", headers=season.applicant)
        ).json()
        if check(body):
            return dict(body)
        await asyncio.sleep(0.1)
    raise AssertionError(f"never shown: {body}")


async def test_a_delivery_reported_failed_then_sent_is_shown_once_as_sent(
    intake: Intake, season: Season
):
    app_id = str((await submitted_application(intake, season))["application_id"])
    sent = NotificationSent(
        delivery_id=f"d-{uuid.uuid4().hex[:8]}",
        channel="email",
        recipient="applicant@example.com",
        template="submission_receipt",
        subject_id=app_id,
    )
    reported = sent.model_dump(include={"delivery_id", "channel", "recipient", "template"})
    failed = NotificationFailed(
        **reported, subject_id=app_id, reason="550 mailbox full", attempts=3
    )
    await intake.publish(failed)
    await shown_when(intake, season, app_id, lambda body: body["deliveries"])
    await intake.publish(sent)

    body = await shown_when(
        intake, season, app_id, lambda body: body["deliveries"][0]["status_label"] == "已发送"
    )
    assert len(body["deliveries"]) == 1


async def test_a_report_about_an_application_intake_does_not_hold_is_not_kept(intake: Intake):
    elsewhere = NotificationSent(
        delivery_id=f"d-{uuid.uuid4().hex[:8]}",
        channel="email",
        recipient="applicant@example.com",
        template="submission_receipt",
        subject_id=str(uuid.uuid4()),
    )
    await intake.publish(elsewhere)

    async def handled() -> bool:
        async with intake.runtime.transaction() as session:
            inbox = messaging_tables.inbox
            query = select(inbox.c.event_id).where(inbox.c.event_id == str(elsewhere.event_id))
            return (await session.execute(query)).first() is not None

    for _ in range(100):
        if await handled():
            break
        await asyncio.sleep(0.1)
    assert await handled()
    async with intake.runtime.transaction() as session:
        kept = (await session.execute(select(DeliveryRecord.delivery_id))).scalars().all()
    assert elsewhere.delivery_id not in kept


async def test_documents_rendered_twice_are_listed_once_and_clear_the_render_error(
    intake: Intake, season: Season
):
    app_id = str((await submitted_application(intake, season))["application_id"])
    await intake.publish(
        DocumentFailed(
            subject_type="application",
            subject_id=app_id,
            document_kind="application_form",
            revision=1,
            reason="模板缺少字段",
        )
    )
    await shown_when(intake, season, app_id, lambda body: body["render_error"])
    await intake.publish(rendered(app_id))
    await intake.publish(rendered(app_id))  # a re-render, e.g. after a redelivery

    await shown_when(intake, season, app_id, lambda body: not body["render_error"])
    await asyncio.sleep(0.5)  # the second one's time to show, were it kept
    body = await shown_when(intake, season, app_id, lambda body: body["documents"])
    assert sorted(d["format"] for d in body["documents"]) == ["docx", "pdf"]
