"""Every trigger reaches the right people by e-mail, once (real RabbitMQ, PostgreSQL, SMTP)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from services.notify import service
from services.notify.models import PendingReceipt
from shared.events import (
    ApplicationAwarded,
    ApplicationNotAwarded,
    ApplicationRecommended,
    ApplicationResubmitted,
    ApplicationReturned,
    AssignmentCompleted,
    ReviewerAssigned,
    ScreeningReason,
    UnitDisqualified,
)
from tests.notify.events import forwarded, person, rendered, submitted, tag
from tests.notify.integration.conftest import NodeFactory, eventually
from tests.support.overlap import run_overlapping
from tests.support.smtp import SmtpServer


def mails(smtp: SmtpServer, role: str, run: str, subject_part: str = "") -> list[str]:
    return [
        str(m["Subject"])
        for m in smtp.inbox.to(f"{role}-{run}@example.com")
        if subject_part in str(m["Subject"])
    ]


def mail_check(smtp: SmtpServer, role: str, run: str, subject_part: str) -> Callable[[], Any]:
    return lambda: mails(smtp, role, run, subject_part)


def body_of(smtp: SmtpServer, role: str, run: str, subject_part: str) -> str:
    for message in smtp.inbox.to(f"{role}-{run}@example.com"):
        if subject_part in str(message["Subject"]):
            plain = message.get_body(preferencelist=("plain",))
            return "" if plain is None else str(plain.get_content())
    return ""


async def test_forwarded_campaign_reaches_every_member_enterprise(
    notify_node: NodeFactory, smtp: SmtpServer
):
    node = await notify_node()
    run = tag()
    await node.publish(forwarded(run, enterprises=2))
    roles = ("member0", "member0b", "member1", "member1b")
    assert await eventually(lambda: all(mails(smtp, r, run, "转发申报通知") for r in roles))
    assert mails(smtp, "unitoffice", run) == []
    body = body_of(smtp, "member1", run, "转发申报通知")
    assert "藏质协字（2023）6号" in body
    assert "北京时间" in body


async def test_receipt_goes_to_group_and_enterprise_once_per_revision(
    notify_node: NodeFactory, smtp: SmtpServer
):
    node = await notify_node()
    run = tag()
    event = submitted(run)
    await node.publish(event, times=3)
    await node.publish(rendered(str(event.application_id)), times=2)
    assert await eventually(lambda: mails(smtp, "enterprise", run, "申报回执"))
    assert await eventually(lambda: mails(smtp, "applicant", run, "申报回执"))
    body = body_of(smtp, "applicant", run, "申报回执")
    assert f"/api/applications/{event.application_id}/documents/pdf" in body
    assert mails(smtp, "unit", run) == []

    again = ApplicationResubmitted(
        **{
            **event.model_dump(),
            "type": "application.resubmitted",
            "event_id": uuid.uuid4(),
            "revision": 2,
        }
    )
    await node.publish(again)
    await node.publish(rendered(str(event.application_id), revision=2))
    assert await eventually(lambda: mails(smtp, "applicant", run, "第2次提交"))
    await asyncio.sleep(1.0)  # a duplicate would have arrived by now
    assert len(mails(smtp, "applicant", run, "申报回执")) == 2
    assert len(mails(smtp, "enterprise", run, "申报回执")) == 2


async def test_returned_reaches_group_and_enterprise_with_reasons_and_deadline(
    notify_node: NodeFactory, smtp: SmtpServer
):
    node = await notify_node()
    run = tag()
    event = submitted(run)
    await node.publish(event)
    deadline = datetime(2023, 6, 25, 9, 0, tzinfo=UTC)
    returned = ApplicationReturned(
        application_id=event.application_id,
        unit_id=event.unit_id,
        enterprise_id=event.enterprise_id,
        revision=1,
        decided_by="secretary",
        reasons=(ScreeningReason(code="seal", label="申报表未盖章", note="请加盖公章"),),
        correction_deadline_at=deadline,
    )
    await node.publish(returned, times=2)
    assert await eventually(lambda: mails(smtp, "enterprise", run, "退回修改"))
    assert await eventually(lambda: mails(smtp, "applicant", run, "退回修改"))
    body = body_of(smtp, "applicant", run, "退回修改")
    assert "申报表未盖章（请加盖公章）" in body
    assert "2023年06月25日 17:00" in body
    await asyncio.sleep(1.0)
    assert len(mails(smtp, "applicant", run, "退回修改")) == 1
    assert mails(smtp, "unit", run) == []


async def test_national_decisions_reach_group_enterprise_and_unit(
    notify_node: NodeFactory, smtp: SmtpServer
):
    node = await notify_node()
    run = tag()
    event = submitted(run)
    await node.publish(event)
    common: dict[str, Any] = {
        "application_id": event.application_id,
        "unit_id": event.unit_id,
        "enterprise_id": event.enterprise_id,
        "revision": 1,
        "decided_by": "national",
    }
    serial = f"QC2023-{run}"
    await node.publish(ApplicationRecommended(**common, final_score="88.50", rank=2))
    await node.publish(
        ApplicationAwarded(
            **common,
            year=2023,
            certificate_serial=serial,
            enterprise_name=event.form.enterprise_name,
            group_name=event.form.group_name,
            topic_name=event.form.topic_name,
        )
    )
    await node.publish(rendered(serial, kind="certificate"))
    for role in ("applicant", "enterprise", "unit"):
        for subject in ("已推荐至全国", "获评全国优秀质量管理小组", "证书已生成"):
            assert await eventually(mail_check(smtp, role, run, subject)), (
                role,
                subject,
            )

    other = submitted(tag())
    await node.publish(other)
    await node.publish(ApplicationNotAwarded(**{**common, "application_id": other.application_id}))
    other_run = other.unit_id.removeprefix("unit-")
    assert await eventually(lambda: mails(smtp, "unit", other_run, "全国评审结果"))


async def test_unit_disqualified_reaches_unit_and_affected_enterprises(
    notify_node: NodeFactory, smtp: SmtpServer
):
    node = await notify_node()
    run = tag()
    await node.publish(forwarded(run))
    first = submitted(run)
    await node.publish(first)
    untouched = submitted(run, enterprise_contact=person("bystander", run))
    await node.publish(untouched)
    assert await eventually(lambda: mails(smtp, "member0", run))
    await node.publish(
        UnitDisqualified(
            campaign_id=f"c-{run}",
            unit_id=f"unit-{run}",
            unit_name="西藏自治区质量协会",
            reason="违规向企业收取费用",
            affected_application_ids=(first.application_id,),
            decided_by="national",
        )
    )
    for role in ("unitoffice", "unit", "enterprise", "applicant"):
        assert await eventually(mail_check(smtp, role, run, "取消推荐资格")), role
    assert mails(smtp, "bystander", run, "取消推荐资格") == []


async def test_reviewer_assigned_reaches_the_reviewer(notify_node: NodeFactory, smtp: SmtpServer):
    node = await notify_node()
    run = tag()
    assignment = ReviewerAssigned(
        assignment_id=f"as-{run}",
        application_id=uuid.uuid4(),
        unit_id=f"unit-{run}",
        level="unit",
        reviewer=person("reviewer", run, user_id=f"rev-{run}"),
        due_at=datetime.now(UTC) + timedelta(days=5),
        group_name="雪域先锋QC小组",
        topic_name="降低配电网线路故障停电时长",
    )
    await node.publish(assignment, times=2)
    assert await eventually(lambda: mails(smtp, "reviewer", run, "评审任务"))
    await node.publish(
        AssignmentCompleted(
            assignment_id=assignment.assignment_id,
            application_id=assignment.application_id,
            reviewer_user_id=f"rev-{run}",
        )
    )
    await asyncio.sleep(1.0)
    assert len(mails(smtp, "reviewer", run, "评审任务")) == 1


async def test_a_submission_and_its_documents_handled_at_once_give_one_receipt(
    notify_node: NodeFactory,
):
    """Both handlers need the receipt's row: the second waits for the first instead of failing."""
    node = await notify_node()
    event = submitted(tag())
    documents = rendered(str(event.application_id))
    public_url = node.settings.public_url

    await run_overlapping(
        node.runtime.transaction,
        lambda session: service.note_documents(session, documents, public_url=public_url),
        lambda session: service.note_submission(session, event, public_url=public_url),
    )

    async with node.runtime.transaction() as session:
        receipt = await session.get(PendingReceipt, (str(event.application_id), 1))
    assert receipt is not None
    assert receipt.queued_at is not None, "both halves met: the receipt was queued"
