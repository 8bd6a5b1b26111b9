"""Reminder use cases: find what is due from the stored deadlines, queue each reminder once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.domain.recipients import (
    APPLICANT,
    ENTERPRISE,
    REVIEWER,
    UNIT,
    Recipient,
    recipient_from,
)
from services.notify.domain.reminders import (
    PACKAGE_RETURNED,
    REMINDER_WINDOW,
    due_reminder,
    is_package_outstanding,
    overdue_key,
)
from services.notify.models import (
    ApplicationRecord,
    CampaignUnit,
    DraftRecord,
    ReviewerAssignment,
    SentReminder,
    UnitPackageRecord,
)
from services.notify.notifications import (
    Notification,
    as_utc,
    china_time_text,
    queue_notification,
)
from services.notify.service import application_url, draft_page_url, group_and_enterprise
from shared.db import insert_ignore


@dataclass(frozen=True)
class Reminder:
    notification: Notification
    recipients: tuple[Recipient, ...]


async def due_reminders(session: AsyncSession, *, now: datetime, public_url: str) -> list[Reminder]:
    found = [
        *await _unit_deadline_reminders(session, now=now, public_url=public_url),
        *await _draft_reminders(session, now=now, public_url=public_url),
        *await _national_deadline_reminders(session, now=now, public_url=public_url),
        *await _correction_reminders(session, now=now, public_url=public_url),
        *await _overdue_reminders(session, now=now, public_url=public_url),
    ]
    sent = select(SentReminder.reminder_key).where(
        SentReminder.reminder_key.in_([r.notification.key for r in found])
    )
    already = set((await session.execute(sent)).scalars())
    return sorted(
        (r for r in found if r.notification.key not in already), key=lambda r: r.notification.key
    )


async def send_reminder(session: AsyncSession, reminder: Reminder, *, now: datetime) -> int:
    """Queue the reminder unless another replica (or an earlier run) already did: 1 if queued."""
    claimed = await insert_ignore(
        session, SentReminder, {"reminder_key": reminder.notification.key, "sent_at": now}
    )
    if not claimed:
        return 0
    await queue_notification(session, reminder.notification, reminder.recipients, now=now)
    return 1


async def _unit_deadline_reminders(
    session: AsyncSession, *, now: datetime, public_url: str
) -> list[Reminder]:
    units = (
        await session.execute(select(CampaignUnit).where(CampaignUnit.deadline_at > now))
    ).scalars()
    reminders: list[Reminder] = []
    for unit in units:
        # Thresholds of an extended deadline reached before the extension are skipped: the
        # members were just told the new deadline. (Drafts' applicants were not told, so their
        # reminders are armed from the draft's creation only.)
        extended_at = unit.deadline_extended_at
        armed_at = as_utc(extended_at) if extended_at is not None else None
        due = due_reminder(as_utc(unit.deadline_at), now, armed_at=armed_at)
        if due is None:
            continue
        submitted = select(ApplicationRecord.enterprise_id).where(
            ApplicationRecord.campaign_id == unit.campaign_id,
            ApplicationRecord.unit_id == unit.unit_id,
            ApplicationRecord.status != "withdrawn",
        )
        have_submitted = set((await session.execute(submitted)).scalars())
        for member in unit.members:
            if member["enterprise_id"] in have_submitted:
                continue
            key = due.key(
                f"unit_deadline:{unit.campaign_id}:{unit.unit_id}:{member['enterprise_id']}"
            )
            notification = Notification(
                template="reminder_unit_deadline",
                key=key,
                subject_id=unit.unit_id,
                campaign_id=unit.campaign_id,
                link=f"{public_url}/",
                context={
                    "unit_name": unit.unit_name,
                    "enterprise_name": member["name"],
                    "deadline_text": china_time_text(due.deadline_at),
                    "days_before": due.days_before,
                },
            )
            recipients = tuple(
                r for c in member.get("contacts", ()) for r in recipient_from(ENTERPRISE, c)
            )
            reminders.append(Reminder(notification, recipients))
    return reminders


async def _draft_reminders(
    session: AsyncSession, *, now: datetime, public_url: str
) -> list[Reminder]:
    """Applicants whose draft is neither submitted nor withdrawn, before the unit's deadline."""
    became_application = select(ApplicationRecord.application_id).where(
        ApplicationRecord.application_id == DraftRecord.application_id
    )
    query = (
        select(DraftRecord, CampaignUnit)
        .join(
            CampaignUnit,
            and_(
                CampaignUnit.campaign_id == DraftRecord.campaign_id,
                CampaignUnit.unit_id == DraftRecord.unit_id,
            ),
        )
        .where(
            DraftRecord.withdrawn_at.is_(None),
            ~became_application.exists(),
            CampaignUnit.deadline_at > now,
            CampaignUnit.deadline_at <= now + REMINDER_WINDOW,
        )
    )
    reminders: list[Reminder] = []
    for draft, unit in await session.execute(query):
        if draft.created_at is None:
            continue  # known from an edit only: its creation (who to remind) has not arrived yet
        due = due_reminder(as_utc(unit.deadline_at), now, armed_at=as_utc(draft.created_at))
        if due is None:
            continue
        notification = Notification(
            template="reminder_draft_deadline",
            key=due.key(f"draft:{draft.application_id}"),
            subject_id=draft.application_id,
            campaign_id=draft.campaign_id,
            link=draft_page_url(public_url, draft.application_id),
            context={
                "unit_name": unit.unit_name,
                "certificate_line": f"{draft.enterprise_name} {draft.group_name}",
                "group_name": draft.group_name,
                "topic_name": draft.topic_name,
                "deadline_text": china_time_text(due.deadline_at),
                "days_before": due.days_before,
            },
        )
        reminders.append(Reminder(notification, tuple(recipient_from(APPLICANT, draft.applicant))))
    return reminders


async def _national_deadline_reminders(
    session: AsyncSession, *, now: datetime, public_url: str
) -> list[Reminder]:
    """Recommending units that owe the national office their package (none yet, or returned)."""
    national_deadline_at = CampaignUnit.national_deadline_at
    query = (
        select(CampaignUnit, UnitPackageRecord.status)
        .outerjoin(
            UnitPackageRecord,
            and_(
                UnitPackageRecord.campaign_id == CampaignUnit.campaign_id,
                UnitPackageRecord.unit_id == CampaignUnit.unit_id,
            ),
        )
        .where(national_deadline_at > now, national_deadline_at <= now + REMINDER_WINDOW)
    )
    reminders: list[Reminder] = []
    for unit, package_status in await session.execute(query):
        deadline = unit.national_deadline_at
        due = due_reminder(as_utc(deadline), now) if deadline is not None else None
        if due is None or not is_package_outstanding(package_status):
            continue
        notification = Notification(
            template="reminder_national_deadline",
            key=due.key(f"national_deadline:{unit.campaign_id}:{unit.unit_id}"),
            subject_id=unit.unit_id,
            campaign_id=unit.campaign_id,
            link=f"{public_url}/",
            context={
                "unit_name": unit.unit_name,
                "is_returned": package_status == PACKAGE_RETURNED,
                "deadline_text": china_time_text(due.deadline_at),
                "days_before": due.days_before,
            },
        )
        recipients = tuple(r for c in unit.unit_contacts for r in recipient_from(UNIT, c))
        reminders.append(Reminder(notification, recipients))
    return reminders


async def _correction_reminders(
    session: AsyncSession, *, now: datetime, public_url: str
) -> list[Reminder]:
    query = select(ApplicationRecord).where(
        ApplicationRecord.status == "returned", ApplicationRecord.correction_deadline_at > now
    )
    reminders: list[Reminder] = []
    for record in (await session.execute(query)).scalars():
        deadline = record.correction_deadline_at
        due = due_reminder(as_utc(deadline), now) if deadline is not None else None
        if due is None:
            continue
        notification = Notification(
            template="reminder_correction_deadline",
            key=due.key(f"correction:{record.application_id}:r{record.revision}"),
            subject_id=record.application_id,
            campaign_id=record.campaign_id,
            link=application_url(public_url, record.application_id),
            context={
                "certificate_line": f"{record.enterprise_name} {record.group_name}",
                "topic_name": record.topic_name,
                "deadline_text": china_time_text(due.deadline_at),
                "days_before": due.days_before,
            },
        )
        reminders.append(Reminder(notification, tuple(group_and_enterprise(record))))
    return reminders


async def _overdue_reminders(
    session: AsyncSession, *, now: datetime, public_url: str
) -> list[Reminder]:
    query = select(ReviewerAssignment).where(
        ReviewerAssignment.completed_at.is_(None), ReviewerAssignment.due_at <= now
    )
    reminders: list[Reminder] = []
    for assignment in (await session.execute(query)).scalars():
        key = overdue_key(assignment.assignment_id, as_utc(assignment.due_at), now)
        if key is None:
            continue
        notification = Notification(
            template="reminder_scoring_overdue",
            key=key,
            subject_id=assignment.application_id,
            link=f"{public_url}/",
            context={
                "group_name": assignment.group_name,
                "topic_name": assignment.topic_name,
                "deadline_text": china_time_text(assignment.due_at),
            },
        )
        reminders.append(
            Reminder(notification, tuple(recipient_from(REVIEWER, assignment.reviewer)))
        )
    return reminders
