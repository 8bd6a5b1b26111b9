"""A unit's deadline extension moves notify's reminders and tells the member enterprises."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import func, select

from services.notify.models import CampaignUnit, Delivery, messaging_tables
from shared.events import CampaignDeadlineExtended
from tests.notify.events import forwarded, tag
from tests.notify.integration.conftest import NodeFactory, NotifyNode, eventually
from tests.support.smtp import SmtpServer

# Far from the real clock and from the other reminder modules' deadlines (2031, 2032), so only
# this module's deadlines fall into the reminder windows of its clocks.
DEADLINE = datetime(2033, 4, 20, 9, 0, tzinfo=UTC)
FORWARDED_SUBJECT = (
    "【qcflow】西藏自治区质量协会转发申报通知：关于转发2023年度全国质量管理小组活动推进工作的通知"
)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def extension(
    run: str, *, previous: datetime, new: datetime, extended_at: datetime
) -> CampaignDeadlineExtended:
    return CampaignDeadlineExtended(
        campaign_id=f"c-{run}",
        extension_id=uuid.uuid4(),
        unit_id=f"unit-{run}",
        unit_name="西藏自治区质量协会",
        previous_deadline_at=previous,
        new_deadline_at=new,
        reason="高原地区网络中断",
        extended_by=f"sec-{run}",
        extended_at=extended_at,
    )


async def email_rows(node: NotifyNode, key_part: str) -> int:
    async with node.runtime.transaction() as session:
        query = select(func.count()).where(
            Delivery.notification_key.contains(key_part), Delivery.channel == "email"
        )
        return int(await session.scalar(query) or 0)


async def stored_deadline(node: NotifyNode, run: str) -> datetime | None:
    async with node.runtime.transaction() as session:
        unit = await session.get(CampaignUnit, (f"c-{run}", f"unit-{run}"))
        return None if unit is None else unit.deadline_at


async def is_handled(node: NotifyNode, event: CampaignDeadlineExtended) -> bool:
    inbox = messaging_tables.inbox
    async with node.runtime.transaction() as session:
        query = select(inbox.c.event_id).where(inbox.c.event_id == str(event.event_id))
        return (await session.execute(query)).first() is not None


def unit_key(run: str, deadline: datetime) -> str:
    return f"unit_deadline:c-{run}:unit-{run}:ent-{run}-0:{deadline.isoformat()}"


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return "" if body is None else str(body.get_content())


async def forwarded_unit(node: NotifyNode, run: str) -> None:
    await node.publish(forwarded(run, deadline_at=DEADLINE, enterprises=1))
    assert await eventually(lambda: email_rows(node, f"forwarded:c-{run}"))


async def test_reminders_follow_the_extended_deadline_and_members_are_told(
    notify_node: NodeFactory, smtp: SmtpServer
):
    clock = FixedClock(DEADLINE - timedelta(days=10))
    node = await notify_node(clock=clock)
    run = tag()
    new_deadline = DEADLINE + timedelta(days=10)
    await forwarded_unit(node, run)
    clock.now = DEADLINE - timedelta(days=7)
    await node.reminders.tick()
    assert await email_rows(node, unit_key(run, DEADLINE)) == 2  # old T-7, two contacts

    clock.now = DEADLINE - timedelta(days=5)
    await node.publish(extension(run, previous=DEADLINE, new=new_deadline, extended_at=clock.now))
    assert await eventually(lambda: email_rows(node, f"deadline_extended:c-{run}"))
    assert await stored_deadline(node, run) == new_deadline

    clock.now = DEADLINE - timedelta(days=3)  # the old T-3: nothing about the old deadline
    await node.reminders.tick()
    assert await email_rows(node, f"unit_deadline:c-{run}") == 2
    clock.now = new_deadline - timedelta(days=7)
    await node.reminders.tick()
    clock.now = new_deadline - timedelta(days=3)
    await node.reminders.tick()
    await node.reminders.tick()
    assert await email_rows(node, unit_key(run, new_deadline)) == 4  # new T-7 and T-3, once
    assert await email_rows(node, f"{unit_key(run, new_deadline)}:T-3") == 2
    assert await email_rows(node, unit_key(run, DEADLINE)) == 2

    address = f"member0-{run}@example.com"
    assert await eventually(lambda: len(smtp.inbox.to(address)) == 5)
    subjects = sorted(str(m["Subject"]) for m in smtp.inbox.to(address))
    assert subjects == sorted(
        [
            FORWARDED_SUBJECT,
            "【qcflow】申报截止提醒（还剩7天）：西藏自治区质量协会",
            "【qcflow】申报截止时间已延长至2033年04月30日 17:00：西藏自治区质量协会",
            "【qcflow】申报截止提醒（还剩7天）：西藏自治区质量协会",
            "【qcflow】申报截止提醒（还剩3天）：西藏自治区质量协会",
        ]
    )
    [notice] = [m for m in smtp.inbox.to(address) if "已延长" in str(m["Subject"])]
    text = plain_text(notice)
    assert (
        "西藏自治区质量协会已将申报截止时间由 2033年04月20日 17:00 延长至 "
        "2033年04月30日 17:00（北京时间）。"
    ) in text
    assert "延期原因：高原地区网络中断" in text
    [last] = [m for m in smtp.inbox.to(address) if "还剩3天" in str(m["Subject"])]
    assert "申报截止时间为 2033年04月30日 17:00（北京时间）" in plain_text(last)


async def test_an_older_extension_arriving_late_and_a_duplicate_change_nothing(
    notify_node: NodeFactory,
):
    node = await notify_node(clock=FixedClock(DEADLINE - timedelta(days=20)), background=False)
    run = tag()
    middle, latest = DEADLINE + timedelta(days=5), DEADLINE + timedelta(days=10)
    older = extension(run, previous=DEADLINE, new=middle, extended_at=DEADLINE - timedelta(days=30))
    newer = extension(run, previous=middle, new=latest, extended_at=DEADLINE - timedelta(days=25))
    await forwarded_unit(node, run)

    await node.publish(newer, times=2)
    assert await eventually(lambda: is_handled(node, newer))
    await node.publish(older)
    assert await eventually(lambda: is_handled(node, older))

    assert await stored_deadline(node, run) == latest
    assert await email_rows(node, f"deadline_extended:c-{run}") == 2  # one notice, two contacts
    notice = f"deadline_extended:c-{run}:unit-{run}:ent-{run}-0"
    assert await email_rows(node, f"{notice}:{latest.isoformat()}") == 2
    assert await email_rows(node, f"{notice}:{middle.isoformat()}") == 0


async def test_an_extension_before_its_forwarding_waits_for_it(notify_node: NodeFactory):
    node = await notify_node(clock=FixedClock(DEADLINE - timedelta(days=20)), background=False)
    run = tag()
    new_deadline = DEADLINE + timedelta(days=3)
    early = extension(
        run, previous=DEADLINE, new=new_deadline, extended_at=DEADLINE - timedelta(days=20)
    )
    await node.publish(early)
    await node.publish(forwarded(run, deadline_at=DEADLINE, enterprises=1))

    assert await eventually(lambda: is_handled(node, early))
    assert await stored_deadline(node, run) == new_deadline


async def test_thresholds_passed_before_the_extension_are_not_reminded(
    notify_node: NodeFactory,
):
    clock = FixedClock(DEADLINE - timedelta(days=2))
    node = await notify_node(clock=clock, background=False)
    run = tag()
    new_deadline = DEADLINE + timedelta(days=2)  # its T-7 (and T-3 at D-1) lie around "now"
    await forwarded_unit(node, run)
    await node.publish(extension(run, previous=DEADLINE, new=new_deadline, extended_at=clock.now))
    assert await eventually(lambda: email_rows(node, f"deadline_extended:c-{run}"))

    await node.reminders.tick()
    assert await email_rows(node, unit_key(run, new_deadline)) == 0  # just told the new deadline
    clock.now = new_deadline - timedelta(days=3)
    await node.reminders.tick()
    assert await email_rows(node, f"{unit_key(run, new_deadline)}:T-3") == 2
