"""Reminders to applicants with unsubmitted drafts and to units owing their package: once each."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import func, select

from services.notify import service
from services.notify.models import CampaignUnit, Delivery, DraftRecord, UnitPackageRecord
from shared.events import (
    ApplicationDraftCreated,
    PackageReturned,
    PackageSubmitted,
    UnitDisqualified,
)
from tests.notify.events import (
    draft_created,
    draft_updated,
    draft_withdrawn,
    forwarded,
    package_step,
    submitted,
    tag,
)
from tests.notify.integration.conftest import NodeFactory, NotifyNode, eventually
from tests.support.overlap import run_overlapping
from tests.support.smtp import SmtpServer

# Far from the real clock and from test_reminders.py's deadlines (and their national ones), so
# only this module's deadlines fall into the reminder windows of its clocks.
UNIT_DEADLINE = datetime(2032, 3, 15, 9, 0, tzinfo=UTC)
NATIONAL_DEADLINE = datetime(2032, 9, 30, 9, 0, tzinfo=UTC)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def email_rows(node: NotifyNode, key_part: str) -> int:
    async with node.runtime.transaction() as session:
        query = select(func.count()).where(
            Delivery.notification_key.contains(key_part), Delivery.channel == "email"
        )
        return int(await session.scalar(query) or 0)


async def drafts_stored(node: NotifyNode, *drafts: ApplicationDraftCreated) -> bool:
    async with node.runtime.transaction() as session:
        ids = [str(d.application_id) for d in drafts]
        query = select(func.count()).where(DraftRecord.application_id.in_(ids))
        return await session.scalar(query) == len(drafts)


async def stored_draft(node: NotifyNode, draft: ApplicationDraftCreated) -> DraftRecord | None:
    async with node.runtime.transaction() as session:
        return await session.get(DraftRecord, str(draft.application_id))


async def draft_named(node: NotifyNode, draft: ApplicationDraftCreated, group_name: str) -> bool:
    stored = await stored_draft(node, draft)
    return stored is not None and stored.group_name == group_name


async def drafts_created(node: NotifyNode, *drafts: ApplicationDraftCreated) -> bool:
    """Their creation arrived (an earlier edit alone stores a draft without `created_at`)."""
    async with node.runtime.transaction() as session:
        ids = [str(d.application_id) for d in drafts]
        query = select(func.count()).where(
            DraftRecord.application_id.in_(ids), DraftRecord.created_at.is_not(None)
        )
        return await session.scalar(query) == len(drafts)


async def unit_forwarded(node: NotifyNode, run: str) -> bool:
    async with node.runtime.transaction() as session:
        return await session.get(CampaignUnit, (f"c-{run}", f"unit-{run}")) is not None


async def has_package_status(node: NotifyNode, run: str, status: str) -> bool:
    async with node.runtime.transaction() as session:
        package = await session.get(UnitPackageRecord, (f"c-{run}", f"unit-{run}"))
        return package is not None and package.status == status


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return "" if body is None else str(body.get_content())


def reminder_subjects(smtp: SmtpServer, address: str, marker: str) -> list[str]:
    return sorted(str(m["Subject"]) for m in smtp.inbox.to(address) if marker in str(m["Subject"]))


async def forwarded_with_drafts(
    node: NotifyNode, run: str, count: int, *, created_at: datetime
) -> list[ApplicationDraftCreated]:
    await node.publish(forwarded(run, deadline_at=UNIT_DEADLINE))
    drafts = [draft_created(run, n=n, created_at=created_at) for n in range(count)]
    for draft in drafts:
        await node.publish(draft)
    assert await eventually(lambda: unit_forwarded(node, run))
    assert await eventually(lambda: drafts_stored(node, *drafts))
    return drafts


async def test_draft_reminders_reach_the_applicant_at_each_threshold_once_across_restart(
    notify_node: NodeFactory, smtp: SmtpServer
):
    clock = FixedClock(UNIT_DEADLINE - timedelta(days=10))
    first = await notify_node(clock=clock, background=False)
    run = tag()
    [draft] = await forwarded_with_drafts(first, run, 1, created_at=clock.now)
    key = f"draft:{draft.application_id}"
    await first.reminders.tick()
    assert await email_rows(first, key) == 0  # T-10: nothing due

    for days, expected_total in ((7, 1), (6, 1), (3, 2)):
        clock.now = UNIT_DEADLINE - timedelta(days=days)
        await first.reminders.tick()
        assert await email_rows(first, key) == expected_total, days

    await first.runtime.stop()
    clock.now = UNIT_DEADLINE - timedelta(days=1)
    restarted = await notify_node(clock=clock, background=True)
    await restarted.reminders.tick()
    await restarted.reminders.tick()
    assert await email_rows(restarted, key) == 3
    address = f"drafter0-{run}@example.com"
    assert await eventually(lambda: len(smtp.inbox.to(address)) == 3)
    assert reminder_subjects(smtp, address, "草稿") == sorted(
        f"【qcflow】申报表草稿尚未提交（还剩{d}天）：雪域先锋QC小组0" for d in (7, 3, 1)
    )
    [mail] = [m for m in smtp.inbox.to(address) if "还剩1天" in str(m["Subject"])]
    text = plain_text(mail)
    assert "您的申报表草稿尚未提交，截止时间为 2032年03月15日 17:00（北京时间）" in text
    assert f"/pages/applications/{draft.application_id}" in text


async def test_two_replicas_send_each_draft_reminder_once(
    notify_node: NodeFactory, smtp: SmtpServer
):
    clock = FixedClock(UNIT_DEADLINE - timedelta(days=3, hours=1))
    one = await notify_node(clock=clock)
    two = await notify_node(clock=clock)
    run = tag()
    drafts = await forwarded_with_drafts(one, run, 3, created_at=clock.now - timedelta(days=5))
    for _ in range(3):
        await asyncio.gather(one.reminders.tick(), two.reminders.tick())
    assert [await email_rows(one, f"draft:{d.application_id}") for d in drafts] == [1, 1, 1]
    addresses = [f"drafter{n}-{run}@example.com" for n in range(3)]
    await eventually(lambda: all(smtp.inbox.to(a) for a in addresses))
    await asyncio.sleep(1.0)  # a second copy, if any, would have arrived by now
    assert [len(smtp.inbox.to(a)) for a in addresses] == [1, 1, 1]


async def test_submitted_or_withdrawn_drafts_get_no_reminder(notify_node: NodeFactory):
    clock = FixedClock(UNIT_DEADLINE - timedelta(days=10))
    node = await notify_node(clock=clock, background=False)
    run = tag()
    await node.publish(forwarded(run, deadline_at=UNIT_DEADLINE))
    kept, sent_on, withdrawn = (draft_created(run, n=n, created_at=clock.now) for n in range(3))
    # The submission may overtake its draft's creation on the way: it still counts.
    await node.publish(submitted(run, application_id=sent_on.application_id))
    for draft in (kept, sent_on, withdrawn):
        await node.publish(draft)
    assert await eventually(lambda: drafts_stored(node, kept, sent_on, withdrawn))
    await node.publish(draft_withdrawn(withdrawn))
    await asyncio.sleep(1.0)  # let the submission and the withdrawal be recorded

    clock.now = UNIT_DEADLINE - timedelta(days=7)
    await node.reminders.tick()
    assert [
        await email_rows(node, f"draft:{d.application_id}") for d in (kept, sent_on, withdrawn)
    ] == [1, 0, 0]


async def test_a_renamed_draft_is_reminded_with_its_new_group_name(
    notify_node: NodeFactory, smtp: SmtpServer
):
    clock = FixedClock(UNIT_DEADLINE - timedelta(days=10))
    node = await notify_node(clock=clock)
    run = tag()
    [draft] = await forwarded_with_drafts(node, run, 1, created_at=clock.now)
    await node.publish(draft_updated(draft, group_name="高原之鹰QC小组", updated_at=clock.now))
    assert await eventually(lambda: draft_named(node, draft, "高原之鹰QC小组"))

    clock.now = UNIT_DEADLINE - timedelta(days=7)
    await node.reminders.tick()
    address = f"drafter0-{run}@example.com"
    assert await eventually(lambda: smtp.inbox.to(address))
    assert reminder_subjects(smtp, address, "草稿") == [
        "【qcflow】申报表草稿尚未提交（还剩7天）：高原之鹰QC小组"
    ]


async def test_an_edit_overtaking_its_draft_creation_keeps_the_newer_names(
    notify_node: NodeFactory, smtp: SmtpServer
):
    clock = FixedClock(UNIT_DEADLINE - timedelta(days=7))
    node = await notify_node(clock=clock)
    run = tag()
    await node.publish(forwarded(run, deadline_at=UNIT_DEADLINE))
    draft = draft_created(run, created_at=clock.now - timedelta(days=3))
    edit = draft_updated(
        draft, group_name="高原之鹰QC小组", updated_at=clock.now - timedelta(days=1)
    )
    await node.publish(edit)
    assert await eventually(lambda: draft_named(node, draft, "高原之鹰QC小组"))
    assert await eventually(lambda: unit_forwarded(node, run))
    await node.reminders.tick()
    assert await email_rows(node, f"draft:{draft.application_id}") == 0  # no applicant yet

    await node.publish(draft)
    assert await eventually(lambda: drafts_created(node, draft))
    stored = await stored_draft(node, draft)
    assert stored is not None
    assert (stored.group_name, stored.applicant) == (
        "高原之鹰QC小组",
        draft.applicant.model_dump(mode="json"),
    )
    await node.reminders.tick()
    address = f"drafter0-{run}@example.com"
    assert await eventually(lambda: smtp.inbox.to(address))
    assert reminder_subjects(smtp, address, "草稿") == [
        "【qcflow】申报表草稿尚未提交（还剩7天）：高原之鹰QC小组"
    ]


async def test_draft_created_after_a_threshold_skips_it(notify_node: NodeFactory):
    clock = FixedClock(UNIT_DEADLINE - timedelta(days=2))
    node = await notify_node(clock=clock, background=False)
    run = tag()
    [draft] = await forwarded_with_drafts(node, run, 1, created_at=clock.now)
    await node.reminders.tick()
    assert await email_rows(node, f"draft:{draft.application_id}") == 0  # T-3 was before it
    clock.now = UNIT_DEADLINE - timedelta(hours=20)
    await node.reminders.tick()
    assert await email_rows(node, f"draft:{draft.application_id}:") == 1


async def test_units_owing_their_package_are_reminded_before_the_national_deadline(
    notify_node: NodeFactory, smtp: SmtpServer
):
    clock = FixedClock(NATIONAL_DEADLINE - timedelta(days=10))
    node = await notify_node(clock=clock)
    owing, submitting, returned, disqualified = tag(), tag(), tag(), tag()
    for run in (owing, submitting, returned, disqualified):
        await node.publish(
            forwarded(
                run,
                deadline_at=NATIONAL_DEADLINE - timedelta(days=30),
                national_deadline_at=NATIONAL_DEADLINE,
            )
        )
    await node.publish(package_step(submitting, PackageSubmitted))
    await node.publish(package_step(returned, PackageSubmitted))
    await node.publish(package_step(returned, PackageReturned))
    await node.publish(
        UnitDisqualified(
            campaign_id=f"c-{disqualified}",
            unit_id=f"unit-{disqualified}",
            unit_name="西藏自治区质量协会",
            reason="违规收费",
            affected_application_ids=(),
            decided_by="caq-admin",
        )
    )
    assert await eventually(lambda: unit_forwarded(node, owing))
    assert await eventually(lambda: has_package_status(node, submitting, "submitted"))
    assert await eventually(lambda: has_package_status(node, returned, "returned"))
    assert await eventually(lambda: has_package_status(node, disqualified, "disqualified"))

    def key(run: str) -> str:
        return f"national_deadline:c-{run}:unit-{run}"

    units = (owing, submitting, returned, disqualified)
    clock.now = NATIONAL_DEADLINE - timedelta(days=7)
    await node.reminders.tick()
    assert [await email_rows(node, key(r)) for r in units] == [1, 0, 1, 0]

    await node.publish(package_step(owing, PackageSubmitted))
    assert await eventually(lambda: has_package_status(node, owing, "submitted"))
    for days in (3, 1):
        clock.now = NATIONAL_DEADLINE - timedelta(days=days)
        await node.reminders.tick()
        await node.reminders.tick()
    assert [await email_rows(node, key(r)) for r in units] == [1, 0, 3, 0]

    marker = "推荐材料包提交截止提醒"
    assert await eventually(
        lambda: len(reminder_subjects(smtp, f"unitoffice-{returned}@example.com", marker)) == 3
    )
    assert reminder_subjects(smtp, f"unitoffice-{owing}@example.com", marker) == [
        "【qcflow】推荐材料包提交截止提醒（还剩7天）：西藏自治区质量协会"
    ]
    assert reminder_subjects(smtp, f"unitoffice-{submitting}@example.com", marker) == []
    [last] = [
        m
        for m in smtp.inbox.to(f"unitoffice-{returned}@example.com")
        if "还剩1天" in str(m["Subject"])
    ]
    assert "西藏自治区质量协会的推荐材料包已被中国质量协会退回，尚未重新提交" in plain_text(last)


async def test_two_steps_of_one_package_handled_at_once_both_land(notify_node: NodeFactory):
    """The second step waits for the first one's row instead of failing to insert its own."""
    node = await notify_node()
    run = tag()
    submitted_step = package_step(run, PackageSubmitted)
    returned_step = package_step(run, PackageReturned)
    assert isinstance(submitted_step, PackageSubmitted)
    assert isinstance(returned_step, PackageReturned)
    public_url = node.settings.public_url

    waited = await run_overlapping(
        node.runtime.transaction,
        lambda session: service.note_package_submitted(
            session, submitted_step, public_url=public_url
        ),
        lambda session: service.note_package_returned(
            session, returned_step, public_url=public_url
        ),
    )

    assert waited, "the second step waits for the first transaction"
    async with node.runtime.transaction() as session:
        package = await session.get(UnitPackageRecord, (f"c-{run}", f"unit-{run}"))
    assert package is not None
    assert (package.status, package.revision) == ("returned", 1)
