"""Notify's use cases for events: keep the directory, decide who hears what, queue it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import package_notes
from services.notify.domain.recipients import (
    APPLICANT,
    ENTERPRISE,
    REVIEWER,
    UNIT,
    Recipient,
    recipient_from,
)
from services.notify.domain.reminders import (
    PACKAGE_ACCEPTED,
    PACKAGE_RETURNED,
    PACKAGE_SUBMITTED,
    UNIT_DISQUALIFIED,
    are_newer_names,
    is_later_package_step,
)
from services.notify.models import (
    ApplicationRecord,
    CampaignUnit,
    DraftRecord,
    PendingReceipt,
    ReviewerAssignment,
    UnitPackageRecord,
)
from services.notify.notifications import (
    Notification,
    as_utc,
    china_time_text,
    queue_notification,
)
from shared.db import dialect_insert, insert_ignore
from shared.events import (
    ApplicationAwarded,
    ApplicationDraftCreated,
    ApplicationDraftUpdated,
    ApplicationDraftWithdrawn,
    ApplicationNotAwarded,
    ApplicationRecommended,
    ApplicationRejected,
    ApplicationReturned,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    AssignmentCompleted,
    CampaignDeadlineExtended,
    CampaignForwarded,
    DocumentRendered,
    PackageAccepted,
    PackageReturned,
    PackageSubmitted,
    ReviewerAssigned,
    UnitDisqualified,
    any_event_adapter,
)
from shared.events.review import ScreeningReason

RETRY_SCHEDULE_S = (30, 60, 120, 300, 600, 1200, 1800, 3600, 5400, 7200)
APPLICATION_FORM = "application_form"
CERTIFICATE = "certificate"
FORMAT_LABELS = {"pdf": "PDF（打印盖章用）", "docx": "Word（不需盖章）", "xlsx": "Excel"}
LEVEL_LABELS = {"unit": "推荐单位", "national": "全国"}


def retry_delay(attempts: int, schedule: tuple[float, ...] = RETRY_SCHEDULE_S) -> timedelta | None:
    """Wait before the next try, or None once the schedule (ten tries, 30 s … 2 h) is used up."""
    if attempts >= len(schedule):
        return None
    return timedelta(seconds=schedule[attempts])


def application_url(public_url: str, application_id: str) -> str:
    return f"{public_url}/api/applications/{application_id}"


def draft_page_url(public_url: str, application_id: str) -> str:
    return f"{public_url}/pages/applications/{application_id}"


# --- the directory ---------------------------------------------------------------------------


def _contact_json(contact: Any) -> dict[str, Any] | None:  # noqa: ANN401 - any pydantic Contact
    return None if contact is None else dict(contact.model_dump(mode="json"))


async def _remember_submission(session: AsyncSession, event: ApplicationSubmitted) -> None:
    record = await session.get(ApplicationRecord, str(event.application_id), with_for_update=True)
    if record is None:
        record = ApplicationRecord(application_id=str(event.application_id))
        session.add(record)
    if record.revision is not None and record.revision > event.revision:
        return  # an older revision arriving late must not overwrite the newer one
    record.campaign_id = event.campaign_id or ""
    record.unit_id = event.unit_id
    record.enterprise_id = event.enterprise_id
    record.revision = event.revision
    record.status = "submitted"
    record.enterprise_name = event.form.enterprise_name
    record.group_name = event.form.group_name
    record.topic_name = event.form.topic_name
    record.applicant = dict(event.applicant.model_dump(mode="json"))
    record.enterprise_contact = _contact_json(event.enterprise_contact)
    record.unit_contact = _contact_json(event.unit_contact)
    record.correction_deadline_at = None


def group_and_enterprise(record: ApplicationRecord) -> list[Recipient]:
    return [
        *recipient_from(APPLICANT, record.applicant),
        *recipient_from(ENTERPRISE, record.enterprise_contact),
    ]


async def unit_recipients(session: AsyncSession, record: ApplicationRecord) -> list[Recipient]:
    recipients = recipient_from(UNIT, record.unit_contact)
    forwarded = await session.get(CampaignUnit, (record.campaign_id, record.unit_id))
    if forwarded is not None:
        recipients += [r for c in forwarded.unit_contacts for r in recipient_from(UNIT, c)]
    return recipients


def _application_context(record: ApplicationRecord) -> dict[str, Any]:
    return {
        "certificate_line": f"{record.enterprise_name} {record.group_name}",
        "enterprise_name": record.enterprise_name,
        "group_name": record.group_name,
        "topic_name": record.topic_name,
    }


class UnknownApplicationError(Exception):
    """A decision arrived before the submission it decides on: the broker redelivers it later."""


async def _record(session: AsyncSession, application_id: object) -> ApplicationRecord:
    record = await session.get(ApplicationRecord, str(application_id), with_for_update=True)
    if record is None:
        msg = f"decision on application {application_id} before its submission arrived"
        raise UnknownApplicationError(msg)
    return record


# --- submission receipt ------------------------------------------------------------------------


async def _receipt_with(
    session: AsyncSession, application_id: str, revision: int, half: Mapping[str, object]
) -> PendingReceipt:
    """The receipt's row with this half stored, in one upsert that also locks it.

    The submission and its documents are often handled at once: the second upsert waits for
    the first one's transaction, then reads the row with both halves.
    """
    key = {"application_id": application_id, "revision": revision}
    statement = dialect_insert(session, PendingReceipt).values({**key, **half})
    upsert = statement.on_conflict_do_update(
        index_elements=list(key), set_={column: statement.excluded[column] for column in half}
    ).returning(PendingReceipt)
    stored = await session.execute(upsert, execution_options={"populate_existing": True})
    return stored.scalar_one()


async def note_submission(
    session: AsyncSession, event: ApplicationSubmitted, *, public_url: str
) -> None:
    await _remember_submission(session, event)
    submission = {"submission": event.model_dump(mode="json")}
    receipt = await _receipt_with(session, str(event.application_id), event.revision, submission)
    await _queue_receipt_when_complete(session, receipt, public_url=public_url)


async def note_documents(
    session: AsyncSession, event: DocumentRendered, *, public_url: str
) -> None:
    if event.document_kind == CERTIFICATE:
        await _certificate_ready(session, event, public_url=public_url)
        return
    if event.document_kind != APPLICATION_FORM:
        return
    documents = {"documents": [file.model_dump(mode="json") for file in event.files]}
    receipt = await _receipt_with(session, event.subject_id, event.revision, documents)
    await _queue_receipt_when_complete(session, receipt, public_url=public_url)


async def _queue_receipt_when_complete(
    session: AsyncSession, receipt: PendingReceipt, *, public_url: str
) -> None:
    if receipt.submission is None or receipt.documents is None or receipt.queued_at is not None:
        return
    submission = _stored_submission(receipt.submission)
    now = datetime.now(UTC)
    base = application_url(public_url, str(submission.application_id))
    notification = Notification(
        template="submission_receipt",
        key=f"receipt:{submission.application_id}:r{submission.revision}",
        subject_id=str(submission.application_id),
        campaign_id=submission.campaign_id,
        link=base,
        context={
            "certificate_line": submission.form.certificate_line,
            "topic_name": submission.form.topic_name,
            "revision": submission.revision,
            "again": f"（第{submission.revision}次提交）" if submission.revision > 1 else "",
            "submitted_at_text": china_time_text(submission.submitted_at),
            "documents": [
                {
                    "label": FORMAT_LABELS.get(str(d["format"]), str(d["format"])),
                    "url": f"{base}/documents/{d['format']}",
                }
                for d in sorted(receipt.documents, key=lambda d: str(d["format"]))
            ],
        },
    )
    recipients = [
        *recipient_from(APPLICANT, submission.applicant.model_dump()),
        *recipient_from(ENTERPRISE, _contact_json(submission.enterprise_contact)),
    ]
    await queue_notification(session, notification, recipients, now=now)
    receipt.queued_at = now


def _stored_submission(stored: dict[str, object]) -> ApplicationSubmitted:
    # A resubmission is stored with its own type; both read back as what they are.
    event = any_event_adapter.validate_python(stored)
    if not isinstance(event, ApplicationSubmitted):
        msg = f"pending receipt holds a {event.type} event"
        raise TypeError(msg)
    return event


async def _certificate_ready(
    session: AsyncSession, event: DocumentRendered, *, public_url: str
) -> None:
    record = await session.get(ApplicationRecord, event.subject_id)
    if record is None:
        serial = select(ApplicationRecord).where(
            ApplicationRecord.certificate_serial == event.subject_id
        )
        record = (await session.execute(serial)).scalars().first()
    if record is None:
        msg = f"certificate for {event.subject_id} before the award arrived"
        raise UnknownApplicationError(msg)
    base = application_url(public_url, record.application_id)
    notification = Notification(
        template="certificate_ready",
        key=f"certificate:{record.application_id}:r{event.revision}",
        subject_id=record.application_id,
        campaign_id=event.campaign_id or record.campaign_id,
        link=base,
        context={
            **_application_context(record),
            "documents": [
                {
                    "label": FORMAT_LABELS.get(f.format, f.format),
                    "url": f"{base}/certificate/{f.format}",
                }
                for f in event.files
            ],
        },
    )
    recipients = group_and_enterprise(record) + await unit_recipients(session, record)
    await queue_notification(session, notification, recipients, now=datetime.now(UTC))


# --- campaign, decisions, reviewers -------------------------------------------------------------


async def note_forwarded(
    session: AsyncSession, event: CampaignForwarded, *, public_url: str
) -> None:
    campaign_id = event.campaign_id or str(event.campaign_year)
    forwarded = await session.get(CampaignUnit, (campaign_id, event.unit_id), with_for_update=True)
    if forwarded is None:
        forwarded = CampaignUnit(campaign_id=campaign_id, unit_id=event.unit_id)
        session.add(forwarded)
    forwarded.unit_name = event.unit_name
    forwarded.deadline_at = event.deadline_at
    forwarded.unit_contacts = [dict(c.model_dump(mode="json")) for c in event.unit_contacts]
    forwarded.members = [dict(m.model_dump(mode="json")) for m in event.member_enterprises]
    forwarded.national_deadline_at = event.national_deadline_at
    now = datetime.now(UTC)
    for member in event.member_enterprises:
        notification = Notification(
            template="campaign_forwarded",
            key=f"forwarded:{campaign_id}:{event.unit_id}:{member.enterprise_id}:"
            f"{event.deadline_at.isoformat()}",
            subject_id=event.unit_id,
            campaign_id=campaign_id,
            link=f"{public_url}/",
            context={
                "unit_name": event.unit_name,
                "title": event.title,
                "campaign_year": event.campaign_year,
                "unit_doc_number": event.unit_doc_number,
                "theme": event.theme,
                "deadline_text": china_time_text(event.deadline_at),
                "enterprise_name": member.name,
            },
        )
        recipients = [
            r for c in member.contacts for r in recipient_from(ENTERPRISE, c.model_dump())
        ]
        await queue_notification(session, notification, recipients, now=now)


class UnknownCampaignUnitError(Exception):
    """An extension arrived before the forwarding it extends: the broker redelivers it later."""


async def note_deadline_extended(
    session: AsyncSession, event: CampaignDeadlineExtended, *, public_url: str
) -> None:
    """Move the unit's deadline (its reminders follow) and tell its member enterprises.

    Extensions only move a deadline later, so one that is not later than the stored deadline
    is an older extension arriving late: it changes nothing and tells no one.
    """
    campaign_id = event.campaign_id or ""
    unit = await session.get(CampaignUnit, (campaign_id, event.unit_id), with_for_update=True)
    if unit is None:
        msg = f"extension of {campaign_id}/{event.unit_id} before its forwarding arrived"
        raise UnknownCampaignUnitError(msg)
    previous_deadline_at = as_utc(unit.deadline_at)
    if event.new_deadline_at <= previous_deadline_at:
        return
    unit.deadline_at = event.new_deadline_at
    unit.deadline_extended_at = event.extended_at
    now = datetime.now(UTC)
    for member in unit.members:
        notification = Notification(
            template="campaign_deadline_extended",
            key=f"deadline_extended:{campaign_id}:{event.unit_id}:{member['enterprise_id']}:"
            f"{event.new_deadline_at.isoformat()}",
            subject_id=event.unit_id,
            campaign_id=campaign_id,
            link=f"{public_url}/",
            context={
                "unit_name": unit.unit_name,
                "enterprise_name": member["name"],
                # what the members were last told, even if an older extension is still on its way
                "previous_deadline_text": china_time_text(previous_deadline_at),
                "deadline_text": china_time_text(event.new_deadline_at),
                "reason": event.reason,
            },
        )
        recipients = [r for c in member.get("contacts", ()) for r in recipient_from(ENTERPRISE, c)]
        await queue_notification(session, notification, recipients, now=now)


def _reasons(reasons: tuple[ScreeningReason, ...]) -> list[str]:
    return [f"{r.label}（{r.note}）" if r.note else r.label for r in reasons]


async def note_returned(
    session: AsyncSession, event: ApplicationReturned, *, public_url: str
) -> None:
    record = await _record(session, event.application_id)
    record.status = "returned"
    record.correction_deadline_at = event.correction_deadline_at
    context = {
        **_application_context(record),
        "reasons": _reasons(event.reasons),
        "comment": event.comment,
        "deadline_text": china_time_text(event.correction_deadline_at),
    }
    await _decision(session, event, record, "application_returned", context, public_url=public_url)


async def note_rejected(
    session: AsyncSession, event: ApplicationRejected, *, public_url: str
) -> None:
    record = await _record(session, event.application_id)
    record.status, record.correction_deadline_at = "rejected", None
    context = {
        **_application_context(record),
        "reasons": _reasons(event.reasons),
        "comment": event.comment,
    }
    await _decision(session, event, record, "application_rejected", context, public_url=public_url)


async def note_recommended(
    session: AsyncSession, event: ApplicationRecommended, *, public_url: str
) -> None:
    record = await _record(session, event.application_id)
    record.status = "recommended"
    context = {**_application_context(record), "final_score": event.final_score, "rank": event.rank}
    await _decision(
        session,
        event,
        record,
        "application_recommended",
        context,
        public_url=public_url,
        with_unit=True,
    )


async def note_awarded(
    session: AsyncSession, event: ApplicationAwarded, *, public_url: str
) -> None:
    record = await _record(session, event.application_id)
    record.status, record.certificate_serial = "awarded", event.certificate_serial
    context = {
        **_application_context(record),
        "certificate_line": f"{event.enterprise_name} {event.group_name}",
        "topic_name": event.topic_name,
        "title": event.title,
        "year": event.year,
        "certificate_serial": event.certificate_serial,
    }
    await _decision(
        session,
        event,
        record,
        "application_awarded",
        context,
        public_url=public_url,
        with_unit=True,
    )


async def note_not_awarded(
    session: AsyncSession, event: ApplicationNotAwarded, *, public_url: str
) -> None:
    record = await _record(session, event.application_id)
    record.status = "not_awarded"
    await _decision(
        session,
        event,
        record,
        "application_not_awarded",
        _application_context(record),
        public_url=public_url,
        with_unit=True,
    )


async def _decision(
    session: AsyncSession,
    event: ApplicationReturned
    | ApplicationRejected
    | ApplicationRecommended
    | ApplicationAwarded
    | ApplicationNotAwarded,
    record: ApplicationRecord,
    template: str,
    context: dict[str, Any],
    *,
    public_url: str,
    with_unit: bool = False,
) -> None:
    notification = Notification(
        template=template,
        key=f"{template}:{event.application_id}:r{event.revision}",
        subject_id=str(event.application_id),
        campaign_id=event.campaign_id or record.campaign_id,
        link=application_url(public_url, record.application_id),
        context=context,
    )
    recipients = group_and_enterprise(record)
    if with_unit:
        recipients += await unit_recipients(session, record)
    await queue_notification(session, notification, recipients, now=datetime.now(UTC))


async def note_withdrawn(session: AsyncSession, event: ApplicationWithdrawn) -> None:
    record = await session.get(ApplicationRecord, str(event.application_id), with_for_update=True)
    if record is not None:
        record.status, record.correction_deadline_at = "withdrawn", None


# --- drafts (for their deadline reminders) ---------------------------------------------------


async def note_draft_created(session: AsyncSession, event: ApplicationDraftCreated) -> None:
    draft = await session.get(DraftRecord, str(event.application_id), with_for_update=True)
    if draft is None:
        draft = DraftRecord(application_id=str(event.application_id))
        session.add(draft)
    _place_draft(draft, event)
    draft.applicant = dict(event.applicant.model_dump(mode="json"))
    draft.created_at = event.created_at
    _name_draft(draft, event, named_at=event.created_at)


async def note_draft_updated(session: AsyncSession, event: ApplicationDraftUpdated) -> None:
    """An edit overtaking its draft's creation keeps what it knows; the creation adds the rest."""
    draft = await session.get(DraftRecord, str(event.application_id), with_for_update=True)
    if draft is None:
        draft = DraftRecord(
            application_id=str(event.application_id), applicant=None, created_at=None
        )
        session.add(draft)
    _place_draft(draft, event)
    _name_draft(draft, event, named_at=event.updated_at)


def _place_draft(
    draft: DraftRecord, event: ApplicationDraftCreated | ApplicationDraftUpdated
) -> None:
    draft.campaign_id = event.campaign_id or ""
    draft.unit_id = event.unit_id
    draft.enterprise_id = event.enterprise_id


def _name_draft(
    draft: DraftRecord,
    event: ApplicationDraftCreated | ApplicationDraftUpdated,
    *,
    named_at: datetime,
) -> None:
    stored_at = as_utc(draft.named_at) if draft.named_at is not None else None
    if not are_newer_names(stored_at, named_at):
        return
    draft.enterprise_name = event.enterprise_name
    draft.group_name = event.group_name
    draft.topic_name = event.topic_name
    draft.named_at = named_at


async def note_draft_withdrawn(session: AsyncSession, event: ApplicationDraftWithdrawn) -> None:
    """A submitted draft needs nothing here: reminders skip drafts that became applications."""
    draft = await session.get(DraftRecord, str(event.application_id), with_for_update=True)
    if draft is None:
        msg = f"withdrawal of draft {event.application_id} before its creation arrived"
        raise UnknownApplicationError(msg)
    if draft.withdrawn_at is None:
        draft.withdrawn_at = event.occurred_at


# --- the unit's package (for the national deadline reminders) --------------------------------


async def _remember_package_status(
    session: AsyncSession, *, campaign_id: str, unit_id: str, status: str, revision: int
) -> None:
    # Inserted, or locked once another step's insert committed: two steps of one unit's package
    # handled at once used to both find no row, and the second insert failed.
    first = {"campaign_id": campaign_id, "unit_id": unit_id, "status": status, "revision": revision}
    if await insert_ignore(session, UnitPackageRecord, first):
        return
    key = (campaign_id, unit_id)
    package = await session.get_one(UnitPackageRecord, key, with_for_update=True)
    if is_later_package_step((package.status, package.revision), (status, revision)):
        package.status, package.revision = status, revision


async def _remember_package_step(
    session: AsyncSession,
    event: PackageSubmitted | PackageReturned | PackageAccepted,
    status: str,
) -> None:
    await _remember_package_status(
        session,
        campaign_id=event.campaign_id or str(event.campaign_year),
        unit_id=event.unit_id,
        status=status,
        revision=event.revision,
    )


async def note_package_submitted(
    session: AsyncSession, event: PackageSubmitted, *, public_url: str
) -> None:
    await _remember_package_step(session, event, PACKAGE_SUBMITTED)
    await package_notes.note_package_submitted(session, event, public_url=public_url)


async def note_package_returned(
    session: AsyncSession, event: PackageReturned, *, public_url: str
) -> None:
    await _remember_package_step(session, event, PACKAGE_RETURNED)
    await package_notes.note_package_returned(session, event, public_url=public_url)


async def note_package_accepted(
    session: AsyncSession, event: PackageAccepted, *, public_url: str
) -> None:
    await _remember_package_step(session, event, PACKAGE_ACCEPTED)
    await package_notes.note_package_accepted(session, event, public_url=public_url)


# --- units -----------------------------------------------------------------------------------


async def note_unit_disqualified(
    session: AsyncSession, event: UnitDisqualified, *, public_url: str
) -> None:
    affected_ids = [str(a) for a in event.affected_application_ids]
    query = select(ApplicationRecord).where(ApplicationRecord.application_id.in_(affected_ids))
    affected = list((await session.execute(query)).scalars())
    forwarded = select(CampaignUnit).where(CampaignUnit.unit_id == event.unit_id)
    if event.campaign_id:
        forwarded = forwarded.where(CampaignUnit.campaign_id == event.campaign_id)
    units = list((await session.execute(forwarded)).scalars())
    recipients = [r for unit in units for c in unit.unit_contacts for r in recipient_from(UNIT, c)]
    for unit in units:  # a disqualified unit submits no package: no national deadline reminders
        await _remember_package_status(
            session,
            campaign_id=unit.campaign_id,
            unit_id=unit.unit_id,
            status=UNIT_DISQUALIFIED,
            revision=0,
        )
    for record in affected:
        recipients += recipient_from(UNIT, record.unit_contact) + group_and_enterprise(record)
    notification = Notification(
        template="unit_disqualified",
        key=f"unit_disqualified:{event.campaign_id or ''}:{event.unit_id}",
        subject_id=event.unit_id,
        campaign_id=event.campaign_id,
        link=f"{public_url}/",
        context={"unit_name": event.unit_name, "reason": event.reason},
    )
    await queue_notification(session, notification, recipients, now=datetime.now(UTC))


async def note_reviewer_assigned(
    session: AsyncSession, event: ReviewerAssigned, *, public_url: str
) -> None:
    assignment = await session.get(ReviewerAssignment, event.assignment_id, with_for_update=True)
    if assignment is None:
        assignment = ReviewerAssignment(assignment_id=event.assignment_id)
        session.add(assignment)
    assignment.application_id = str(event.application_id)
    assignment.reviewer = dict(event.reviewer.model_dump(mode="json"))
    assignment.due_at = event.due_at
    assignment.group_name = event.group_name
    assignment.topic_name = event.topic_name
    notification = Notification(
        template="reviewer_assigned",
        key=f"reviewer_assigned:{event.assignment_id}",
        subject_id=str(event.application_id),
        campaign_id=event.campaign_id,
        link=f"{public_url}/",
        context={
            "group_name": event.group_name,
            "topic_name": event.topic_name,
            "level_label": LEVEL_LABELS[event.level],
            "deadline_text": china_time_text(event.due_at),
        },
    )
    recipients = recipient_from(REVIEWER, event.reviewer.model_dump())
    await queue_notification(session, notification, recipients, now=datetime.now(UTC))


async def note_assignment_completed(session: AsyncSession, event: AssignmentCompleted) -> None:
    assignment = await session.get(ReviewerAssignment, event.assignment_id, with_for_update=True)
    if assignment is not None and assignment.completed_at is None:
        assignment.completed_at = event.occurred_at
