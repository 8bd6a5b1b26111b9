"""Reminders (T-7/T-3/T-1, corrections, overdue scoring): once, across restarts and replicas."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from services.notify.models import Delivery
from shared.events import (
    ApplicationResubmitted,
    ApplicationReturned,
    AssignmentCompleted,
    ReviewerAssigned,
    ScreeningReason,
)
from tests.notify.events import forwarded, person, submitted, tag
from tests.notify.integration.conftest import NodeFactory, NotifyNode, eventually
from tests.support.smtp import SmtpServer

# Far from the real clock, so only this module's deadlines fall into the reminder windows.
DEADLINE = datetime(2031, 6, 28, 9, 0, tzinfo=UTC)


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


async def has_rows(node: NotifyNode, key_part: str, expected: int) -> bool:
    return await email_rows(node, key_part) == expected


async def test_deadline_reminders_reach_enterprises_without_submission_once_across_restart(
    notify_node: NodeFactory, smtp: SmtpServer
):
    clock = FixedClock(DEADLINE - timedelta(days=10))
    first = await notify_node(clock=clock, background=False)
    run = tag()
    await first.publish(forwarded(run, deadline_at=DEADLINE, enterprises=2))
    await first.publish(submitted(run, enterprise_id=f"ent-{run}-1"))
    key = f"unit_deadline:c-{run}:unit-{run}"
    assert await eventually(lambda: email_rows(first, f"forwarded:c-{run}"))
    await asyncio.sleep(0.5)  # let the submission be recorded too
    assert await first.reminders.tick() >= 0
    assert await email_rows(first, key) == 0  # T-10: nothing due

    for days, expected_total in ((7, 2), (6, 2), (3, 4), (1, 6)):
        clock.now = DEADLINE - timedelta(days=days)
        await first.reminders.tick()
        assert await email_rows(first, key) == expected_total, days

    await first.runtime.stop()
    restarted = await notify_node(clock=clock, background=True)
    await restarted.reminders.tick()
    assert await email_rows(restarted, key) == 6
    subjects = await eventually(
        lambda: (
            len(smtp.inbox.to(f"member0-{run}@example.com")) == 4
            and [str(m["Subject"]) for m in smtp.inbox.to(f"member0-{run}@example.com")]
        )
    )
    assert sorted(s for s in subjects if "截止提醒" in s) == sorted(
        f"【qcflow】申报截止提醒（还剩{d}天）：西藏自治区质量协会" for d in (7, 3, 1)
    )
    assert [
        m for m in smtp.inbox.to(f"member1-{run}@example.com") if "截止提醒" in str(m["Subject"])
    ] == []


async def test_two_replicas_send_each_reminder_once(notify_node: NodeFactory, smtp: SmtpServer):
    clock = FixedClock(DEADLINE - timedelta(days=3, hours=1))
    one = await notify_node(clock=clock)
    two = await notify_node(clock=clock)
    run = tag()
    await one.publish(forwarded(run, deadline_at=DEADLINE, enterprises=3))
    key = f"unit_deadline:c-{run}:unit-{run}"
    assert await eventually(lambda: has_rows(one, f"forwarded:c-{run}", 6))
    for _ in range(3):
        await asyncio.gather(one.reminders.tick(), two.reminders.tick())
    assert await email_rows(one, key) == 6
    assert await eventually(
        lambda: all(len(smtp.inbox.to(f"member{n}-{run}@example.com")) == 2 for n in range(3))
    )
    await asyncio.sleep(1.0)
    assert all(len(smtp.inbox.to(f"member{n}-{run}@example.com")) == 2 for n in range(3))


async def test_correction_and_overdue_reminders_stop_when_done(notify_node: NodeFactory):
    clock = FixedClock(DEADLINE - timedelta(days=4))
    node = await notify_node(clock=clock, background=False)
    run = tag()
    event = submitted(run)
    await node.publish(event)
    await asyncio.sleep(0.5)
    await node.publish(
        ApplicationReturned(
            application_id=event.application_id,
            unit_id=event.unit_id,
            enterprise_id=event.enterprise_id,
            revision=1,
            decided_by="secretary",
            reasons=(ScreeningReason(code="name", label="企业名称与公章不一致"),),
            correction_deadline_at=DEADLINE,
        )
    )
    assignment = ReviewerAssigned(
        assignment_id=f"as-{run}",
        application_id=uuid.uuid4(),
        unit_id=event.unit_id,
        level="unit",
        reviewer=person("reviewer", run),
        due_at=DEADLINE - timedelta(days=2),
        group_name="雪域先锋QC小组",
        topic_name="降低配电网线路故障停电时长",
    )
    await node.publish(assignment)
    assert await eventually(
        lambda: email_rows(node, f"application_returned:{event.application_id}")
    )
    assert await eventually(lambda: email_rows(node, f"reviewer_assigned:as-{run}"))

    clock.now = DEADLINE - timedelta(days=3)
    await node.reminders.tick()
    assert await email_rows(node, f"correction:{event.application_id}") == 2
    assert await email_rows(node, f"overdue:as-{run}") == 0

    clock.now = DEADLINE - timedelta(days=2)
    await node.reminders.tick()
    assert await email_rows(node, f"overdue:as-{run}") == 1
    await node.publish(
        ApplicationResubmitted(
            **{
                **event.model_dump(),
                "type": "application.resubmitted",
                "event_id": uuid.uuid4(),
                "revision": 2,
            }
        )
    )
    await node.publish(
        AssignmentCompleted(
            assignment_id=assignment.assignment_id,
            application_id=assignment.application_id,
            reviewer_user_id="rev",
        )
    )
    await asyncio.sleep(1.0)
    clock.now = DEADLINE - timedelta(hours=12)
    await node.reminders.tick()
    assert await email_rows(node, f"correction:{event.application_id}") == 2
    assert await email_rows(node, f"overdue:as-{run}") == 1
