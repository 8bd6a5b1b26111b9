"""Review's use cases: they load rows, ask the domain, write rows and events; never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.review.domain import states
from services.review.domain.access import (
    NATIONAL_POOL,
    NATIONAL_STAFF,
    EntryScope,
    ensure_can_view,
    ensure_national_staff,
    ensure_secretary,
    ensure_unit_secretary_of,
    is_national,
    is_reviewer,
    pool_of,
    visible_unit,
)
from services.review.domain.assignment import (
    Candidate,
    EntryToAssign,
    assign_balanced,
    ensure_eligible,
)
from services.review.domain.awards import (
    AwardDecision,
    certificate_serial,
    ensure_can_finalise,
    ensure_notice_period,
    next_serial_number,
)
from services.review.domain.errors import (
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    StateConflictError,
)
from services.review.domain.quotas import (
    SHANGHAI,
    ensure_before_deadline,
    ensure_justified,
    is_over_quota,
)
from services.review.domain.scoring import (
    Aggregate,
    AggregationRule,
    aggregate,
    checked_comments,
    checked_marks,
    ranked,
    sheet_total,
)
from services.review.domain.screening import Reason, ScreeningOutcome, checked_reasons
from services.review.domain.tables import (
    ScoredRow,
    recommendation_rows,
    review_summary_rows,
    statistics_rows,
)
from services.review.exports import ExportRow
from services.review.models import (
    Assignment,
    AuditRecord,
    Entry,
    EntryFile,
    EntryRevision,
    Objection,
    Reviewer,
    UnitCampaign,
    UnitTable,
    messaging_tables,
)
from services.review.sheets import default_sheet_for, sheet_by_id
from shared.auth import Principal, Role
from shared.db import insert_ignore, insert_ignore_many
from shared.events import (
    ApplicationAccepted,
    ApplicationAwarded,
    ApplicationDisqualified,
    ApplicationNotAwarded,
    ApplicationRecommended,
    ApplicationRejected,
    ApplicationReturned,
    ApplicationScored,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    AssignmentCompleted,
    CampaignDeadlineExtended,
    CampaignForwarded,
    Contact,
    DocumentRendered,
    Event,
    EvidenceFile,
    EvidenceStored,
    ReviewerAssigned,
    ScreeningReason,
    TableRequested,
    UnitDisqualified,
)
from shared.events.review import TableKind
from shared.messaging.outbox import add_to_outbox

AWAITING_SCREENING = states.AWAITING_SCREENING
NATIONAL_OFFICE = "中国质量协会"
RECOMMENDED_STATES = states.QUOTA_STATES - {states.PENDING_APPROVAL}
SYSTEM = Principal(user_id="system", role=Role.APPLICANT, org_id="", name="系统")
ASSIGNED, COMPLETED, RECUSED = "assigned", "completed", "recused"
DEFAULT_REVIEW_DAYS = 14


# --- events from intake -------------------------------------------------------------------


async def register_submission(session: AsyncSession, event: ApplicationSubmitted) -> None:
    """A (re)submitted revision: kept as a revision; a returned entry goes back to screening."""
    await _keep_revision(session, event)
    await _keep_files(session, event.application_id, event.evidence)
    entry = await session.get(Entry, event.application_id, with_for_update=True)
    if entry is not None and entry.revision >= event.revision:
        return
    if entry is None:
        entry = Entry(application_id=event.application_id, status=AWAITING_SCREENING)
        session.add(entry)
    elif entry.status not in {states.AWAITING_SCREENING, states.RETURNED}:
        return
    entry.revision = event.revision
    entry.campaign_id = event.campaign_id
    entry.unit_id = event.unit_id
    entry.enterprise_id = event.enterprise_id
    entry.enterprise_name = event.form.enterprise_name
    entry.group_name = event.form.group_name
    entry.topic_name = event.form.topic_name
    entry.topic_type = event.form.topic_type.value
    entry.status = AWAITING_SCREENING
    entry.evidence_count = len(event.evidence)
    entry.submitted_at = event.submitted_at


async def _keep_revision(session: AsyncSession, event: ApplicationSubmitted) -> None:
    revision = {
        "application_id": event.application_id,
        "revision": event.revision,
        "event_type": event.type,
        "form": event.form.model_dump(mode="json"),
        "evidence": [file.model_dump(mode="json") for file in event.evidence],
        "submitted_at": event.submitted_at,
    }
    await insert_ignore(session, EntryRevision, revision)


async def _keep_files(
    session: AsyncSession, application_id: uuid.UUID, files: Sequence[EvidenceFile]
) -> None:
    """Once per file, also when its `evidence.stored` and the submission are handled at once."""
    rows = [
        {
            "file_id": file.file_id,
            "application_id": application_id,
            "kind": file.kind,
            "filename": file.filename,
            "content_type": file.content_type,
            "size": file.size,
            "sha256": file.sha256,
            "storage_key": file.storage_key,
        }
        for file in files
    ]
    await insert_ignore_many(session, EntryFile, rows)


async def register_evidence(session: AsyncSession, event: EvidenceStored) -> None:
    await _keep_files(session, event.application_id, [event.file])


async def register_withdrawal(session: AsyncSession, event: ApplicationWithdrawn) -> None:
    entry = await session.get(Entry, event.application_id, with_for_update=True)
    if entry is None or entry.status in states.FINAL_STATES:
        return
    entry.status = states.WITHDRAWN
    _audit(session, SYSTEM, entry, "withdrawn", event.reason or "申报人撤回", {})


async def register_unit_campaign(session: AsyncSession, event: CampaignForwarded) -> None:
    campaign_id = event.campaign_id or str(event.campaign_year)
    unit = await session.get(UnitCampaign, (event.unit_id, campaign_id), with_for_update=True)
    if unit is None:
        unit = UnitCampaign(unit_id=event.unit_id, campaign_id=campaign_id)
        session.add(unit)
    unit.unit_name = event.unit_name
    unit.campaign_year = event.campaign_year
    unit.deadline_at = event.deadline_at
    # A re-forwarded notice must not undo an extension the national office granted.
    current = unit.national_deadline_at
    unit.national_deadline_at = (
        event.national_deadline_at if current is None else max(current, event.national_deadline_at)
    )


class UnknownUnitCampaignError(Exception):
    """An extension arrived before the forwarding it extends: the broker redelivers it later."""


async def register_deadline_extension(
    session: AsyncSession, event: CampaignDeadlineExtended
) -> None:
    """The unit's own deadline as extended in intake; extensions only ever move it later."""
    campaign_id = event.campaign_id or ""
    unit = await session.get(UnitCampaign, (event.unit_id, campaign_id), with_for_update=True)
    if unit is None:
        msg = f"extension of {campaign_id}/{event.unit_id} before its forwarding arrived"
        raise UnknownUnitCampaignError(msg)
    unit.deadline_at = max(unit.deadline_at, event.new_deadline_at)


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryFilter:
    status: str | None = None
    topic_type: str | None = None
    unit_id: str | None = None


async def list_entries(
    session: AsyncSession, *, actor: Principal, filters: EntryFilter | None = None
) -> list[Entry]:
    filters = filters or EntryFilter()
    query = select(Entry).order_by(Entry.submitted_at.desc())
    if is_reviewer(actor):
        assigned = select(Assignment.application_id).where(
            Assignment.reviewer_user_id == actor.user_id,
            Assignment.pool_id == (NATIONAL_POOL if is_national(actor) else actor.org_id),
        )
        query = query.where(Entry.application_id.in_(assigned))
    elif is_national(actor):
        query = query.where(Entry.status.in_(states.NATIONAL_STATES))
    else:
        query = query.where(Entry.unit_id == visible_unit(actor))
    if filters.unit_id:
        query = query.where(Entry.unit_id == filters.unit_id)
    if filters.status:
        query = query.where(Entry.status == filters.status)
    if filters.topic_type:
        query = query.where(Entry.topic_type == filters.topic_type)
    return list((await session.execute(query)).scalars())


async def get_entry(session: AsyncSession, *, actor: Principal, application_id: uuid.UUID) -> Entry:
    entry = await session.get(Entry, application_id)
    if entry is None:
        raise NotFoundError("该申报不存在或尚未到达评审系统。")
    ensure_can_view(actor, await _scope_of(session, entry))
    return entry


async def _scope_of(session: AsyncSession, entry: Entry) -> EntryScope:
    reviewers = await session.execute(
        select(Assignment.reviewer_user_id).where(
            Assignment.application_id == entry.application_id,
            Assignment.pool_id == entry.unit_id,
        )
    )
    national = await session.execute(
        select(Assignment.reviewer_user_id).where(
            Assignment.application_id == entry.application_id,
            Assignment.pool_id == NATIONAL_POOL,
        )
    )
    return EntryScope(
        unit_id=entry.unit_id,
        is_at_national_level=entry.status in states.NATIONAL_STATES,
        reviewer_ids=frozenset(reviewers.scalars()),
        national_reviewer_ids=frozenset(national.scalars()),
    )


async def list_revisions(
    session: AsyncSession, *, actor: Principal, application_id: uuid.UUID
) -> list[EntryRevision]:
    await get_entry(session, actor=actor, application_id=application_id)
    query = (
        select(EntryRevision)
        .where(EntryRevision.application_id == application_id)
        .order_by(EntryRevision.revision)
    )
    return list((await session.execute(query)).scalars())


async def list_files(
    session: AsyncSession, *, actor: Principal, application_id: uuid.UUID
) -> list[EntryFile]:
    await get_entry(session, actor=actor, application_id=application_id)
    query = select(EntryFile).where(EntryFile.application_id == application_id)
    return list((await session.execute(query.order_by(EntryFile.filename))).scalars())


async def entry_file(
    session: AsyncSession, *, actor: Principal, application_id: uuid.UUID, file_id: uuid.UUID
) -> EntryFile:
    await get_entry(session, actor=actor, application_id=application_id)
    file = await session.get(EntryFile, file_id)
    if file is None or file.application_id != application_id:
        raise NotFoundError("该文件不存在。")
    return file


async def read_audit_log(
    session: AsyncSession,
    *,
    actor: Principal,
    unit_id: str | None = None,
    application_id: uuid.UUID | None = None,
) -> list[AuditRecord]:
    ensure_secretary(actor)
    query = select(AuditRecord).order_by(AuditRecord.at, AuditRecord.record_id)
    if actor.role not in NATIONAL_STAFF:
        if unit_id is not None and unit_id != actor.org_id:
            raise ForbiddenError("无权查看其他推荐单位的审计记录。")
        unit_id = actor.org_id
    if unit_id is not None:
        query = query.where(AuditRecord.unit_id == unit_id)
    if application_id is not None:
        query = query.where(AuditRecord.application_id == application_id)
    return list((await session.execute(query)).scalars())


# --- screening (形式审查) ------------------------------------------------------------------


@dataclass(frozen=True)
class ScreeningDecision:
    outcome: ScreeningOutcome
    reasons: list[tuple[str, str]]
    correction_deadline_at: datetime | None
    comment: str


async def screen_entry(
    session: AsyncSession,
    *,
    actor: Principal,
    application_id: uuid.UUID,
    decision: ScreeningDecision,
    now: datetime,
) -> Entry:
    entry = await _entry_for_update(session, application_id)
    ensure_unit_secretary_of(actor, entry.unit_id)
    states.require_state(entry.status, {states.AWAITING_SCREENING}, "进行形式审查")
    reasons = checked_reasons(
        decision.outcome, decision.reasons, decision.correction_deadline_at, now
    )
    common = _decision_fields(entry, actor, decision.comment)
    event: Event
    if decision.outcome is ScreeningOutcome.ACCEPT:
        entry.status = states.ACCEPTED
        event = ApplicationAccepted(**common)
    elif decision.outcome is ScreeningOutcome.RETURN and decision.correction_deadline_at:
        entry.status = states.RETURNED
        event = ApplicationReturned(
            **common,
            reasons=_event_reasons(reasons),
            correction_deadline_at=decision.correction_deadline_at,
        )
    else:
        entry.status = states.REJECTED
        event = ApplicationRejected(**common, reasons=_event_reasons(reasons))
    detail: dict[str, Any] = {
        "outcome": decision.outcome.value,
        "revision": entry.revision,
        "reasons": [{"code": r.code, "label": r.label, "note": r.note} for r in reasons],
    }
    if decision.correction_deadline_at is not None:
        detail["correction_deadline_at"] = decision.correction_deadline_at.isoformat()
    _audit(session, actor, entry, f"screening.{decision.outcome.value}", decision.comment, detail)
    await add_to_outbox(session, messaging_tables, event)
    return entry


def _event_reasons(reasons: Sequence[Reason]) -> tuple[ScreeningReason, ...]:
    return tuple(ScreeningReason(code=r.code, label=r.label, note=r.note) for r in reasons)


def _decision_fields(entry: Entry, actor: Principal, comment: str) -> dict[str, Any]:
    return {
        "application_id": entry.application_id,
        "unit_id": entry.unit_id,
        "enterprise_id": entry.enterprise_id,
        "revision": entry.revision,
        "decided_by": actor.user_id,
        "comment": comment,
        "campaign_id": entry.campaign_id,
    }


async def _entry_for_update(session: AsyncSession, application_id: uuid.UUID) -> Entry:
    entry = await session.get(Entry, application_id, with_for_update=True)
    if entry is None:
        raise NotFoundError("该申报不存在或尚未到达评审系统。")
    return entry


# --- reviewer pool and assignments ----------------------------------------------------------


@dataclass(frozen=True)
class ReviewerInput:
    user_id: str
    name: str
    email: str
    enterprise_id: str
    conflict_enterprise_ids: list[str]


async def save_reviewer(
    session: AsyncSession, *, actor: Principal, reviewer: ReviewerInput
) -> Reviewer:
    pool_id = pool_of(actor)
    row = await session.get(Reviewer, (pool_id, reviewer.user_id), with_for_update=True)
    if row is None:
        row = Reviewer(pool_id=pool_id, user_id=reviewer.user_id)
        session.add(row)
    row.name = reviewer.name
    row.email = reviewer.email
    row.enterprise_id = reviewer.enterprise_id
    row.conflict_enterprise_ids = sorted(set(reviewer.conflict_enterprise_ids))
    session.add(
        _audit_row(
            actor,
            pool_id,
            None,
            "reviewer.saved",
            "",
            {"reviewer": reviewer.user_id, "conflicts": row.conflict_enterprise_ids},
        )
    )
    return row


async def list_reviewers(session: AsyncSession, *, actor: Principal) -> list[Reviewer]:
    query = select(Reviewer).where(Reviewer.pool_id == pool_of(actor)).order_by(Reviewer.user_id)
    return list((await session.execute(query)).scalars())


def _level_of(actor: Principal) -> str:
    return "national" if actor.role in NATIONAL_STAFF else "unit"


def _review_pool_for(actor: Principal, entry: Entry) -> str:
    """The pool whose round this secretary runs on the entry; refuses another unit or state."""
    if actor.role in NATIONAL_STAFF:
        if entry.status not in states.NATIONAL_STATES:
            raise ForbiddenError("该申报尚未推荐至全国，全国评审无权处理。")
        states.require_state(entry.status, {states.RECOMMENDED}, "进行全国评审")
        return NATIONAL_POOL
    ensure_unit_secretary_of(actor, entry.unit_id)
    states.require_state(entry.status, {states.ACCEPTED}, "分配评审专家")
    return entry.unit_id


async def assign_reviewer(
    session: AsyncSession,
    *,
    actor: Principal,
    application_id: uuid.UUID,
    reviewer_user_id: str,
    sheet_id: str | None,
    now: datetime,
) -> Assignment:
    entry = await _entry_for_update(session, application_id)
    pool_id = _review_pool_for(actor, entry)
    reviewer = await session.get(Reviewer, (pool_id, reviewer_user_id))
    if reviewer is None:
        raise InvalidInputError(f"评审专家：{reviewer_user_id} 不在专家库中，请先添加。")
    active = await _active_reviewers(session, entry.application_id, pool_id)
    ensure_eligible(_candidate(reviewer), _to_assign(entry, active))
    sheet = sheet_by_id(sheet_id) if sheet_id else default_sheet_for(entry.topic_type)
    return await _create_assignment(session, actor, entry, reviewer, sheet.sheet_id, now)


async def assign_automatically(
    session: AsyncSession,
    *,
    actor: Principal,
    per_entry: int,
    application_ids: Sequence[uuid.UUID],
    now: datetime,
) -> list[Assignment]:
    unique_ids = dict.fromkeys(application_ids)
    entries = [await _entry_for_update(session, app_id) for app_id in unique_ids]
    if not entries:
        raise InvalidInputError("申报：请至少选择一条申报。")
    pools = {_review_pool_for(actor, entry) for entry in entries}
    pool_id = pools.pop()
    reviewers = {
        r.user_id: r
        for r in (
            await session.execute(select(Reviewer).where(Reviewer.pool_id == pool_id))
        ).scalars()
    }
    to_assign = [
        _to_assign(entry, await _active_reviewers(session, entry.application_id, pool_id))
        for entry in entries
    ]
    pairs = assign_balanced(
        to_assign,
        [_candidate(r) for r in reviewers.values()],
        await _open_load(session, pool_id),
        per_entry,
    )
    by_id = {str(entry.application_id): entry for entry in entries}
    return [
        await _create_assignment(
            session,
            actor,
            by_id[app_id],
            reviewers[user_id],
            default_sheet_for(by_id[app_id].topic_type).sheet_id,
            now,
        )
        for app_id, user_id in pairs
    ]


async def _active_reviewers(
    session: AsyncSession, application_id: uuid.UUID, pool_id: str
) -> frozenset[str]:
    rows = await session.execute(
        select(Assignment.reviewer_user_id).where(
            Assignment.application_id == application_id,
            Assignment.pool_id == pool_id,
        )
    )
    return frozenset(rows.scalars())


async def _open_load(session: AsyncSession, pool_id: str) -> dict[str, int]:
    rows = await session.execute(
        select(Assignment.reviewer_user_id, func.count())
        .where(Assignment.pool_id == pool_id, Assignment.status == ASSIGNED)
        .group_by(Assignment.reviewer_user_id)
    )
    return {str(user_id): int(count) for user_id, count in rows.all()}


def _candidate(reviewer: Reviewer) -> Candidate:
    return Candidate(
        user_id=reviewer.user_id,
        name=reviewer.name,
        enterprise_id=reviewer.enterprise_id,
        conflict_enterprise_ids=frozenset(reviewer.conflict_enterprise_ids),
    )


def _to_assign(entry: Entry, active: frozenset[str]) -> EntryToAssign:
    return EntryToAssign(str(entry.application_id), entry.enterprise_id, active)


async def _create_assignment(
    session: AsyncSession,
    actor: Principal,
    entry: Entry,
    reviewer: Reviewer,
    sheet_id: str,
    now: datetime,
) -> Assignment:
    assignment = Assignment(
        assignment_id=uuid.uuid4(),
        application_id=entry.application_id,
        level=_level_of(actor),
        pool_id=reviewer.pool_id,
        reviewer_user_id=reviewer.user_id,
        sheet_id=sheet_id,
        status=ASSIGNED,
        marks={},
        comments={},
        recusal_reason="",
        assigned_at=now,
    )
    session.add(assignment)
    await session.flush()
    due_at = now + timedelta(days=DEFAULT_REVIEW_DAYS)
    detail = {"reviewer": reviewer.user_id, "sheet_id": sheet_id, "level": assignment.level}
    _audit(session, actor, entry, "assignment.created", "", detail)
    await add_to_outbox(
        session,
        messaging_tables,
        ReviewerAssigned(
            assignment_id=str(assignment.assignment_id),
            application_id=entry.application_id,
            unit_id=entry.unit_id,
            level="national" if assignment.level == "national" else "unit",
            reviewer=Contact(name=reviewer.name, email=reviewer.email, user_id=reviewer.user_id),
            due_at=due_at,
            group_name=entry.group_name,
            topic_name=entry.topic_name,
            campaign_id=entry.campaign_id,
        ),
    )
    return assignment


async def list_assignments(
    session: AsyncSession, *, actor: Principal, application_id: uuid.UUID | None = None
) -> list[Assignment]:
    query = select(Assignment).order_by(Assignment.assigned_at)
    if is_reviewer(actor):
        query = query.where(Assignment.reviewer_user_id == actor.user_id)
    else:
        query = query.where(Assignment.pool_id == pool_of(actor))
    if application_id is not None:
        query = query.where(Assignment.application_id == application_id)
    return list((await session.execute(query)).scalars())


async def _assignment_for_update(session: AsyncSession, assignment_id: uuid.UUID) -> Assignment:
    assignment = await session.get(Assignment, assignment_id, with_for_update=True)
    if assignment is None:
        raise NotFoundError("该评审任务不存在。")
    return assignment


def _ensure_own_assignment(actor: Principal, assignment: Assignment) -> None:
    expected_pool = NATIONAL_POOL if is_national(actor) else actor.org_id
    if not (
        is_reviewer(actor)
        and assignment.reviewer_user_id == actor.user_id
        and assignment.pool_id == expected_pool
    ):
        raise ForbiddenError("只有被分配的评审专家本人可以填写该评分表。")


async def submit_scores(
    session: AsyncSession,
    *,
    actor: Principal,
    assignment_id: uuid.UUID,
    marks: dict[str, object],
    comments: dict[str, str],
    now: datetime,
) -> Assignment:
    assignment = await _assignment_for_update(session, assignment_id)
    _ensure_own_assignment(actor, assignment)
    if assignment.status != ASSIGNED:
        raise StateConflictError("该评审任务已完成或已回避，不能再次评分。")
    entry = await _entry_for_update(session, assignment.application_id)
    allowed = {states.RECOMMENDED} if assignment.pool_id == NATIONAL_POOL else {states.ACCEPTED}
    states.require_state(entry.status, allowed, "评分")
    sheet = sheet_by_id(assignment.sheet_id)
    checked = checked_marks(sheet, marks)
    assignment.marks = {code: str(mark) for code, mark in checked.items()}
    assignment.comments = checked_comments(sheet, comments)
    assignment.total = str(sheet_total(checked))
    assignment.status = COMPLETED
    assignment.completed_at = now
    detail = {"assignment_id": str(assignment_id), "total": assignment.total}
    _audit(session, actor, entry, "assignment.scored", "", detail)
    await add_to_outbox(
        session,
        messaging_tables,
        AssignmentCompleted(
            assignment_id=str(assignment_id),
            application_id=entry.application_id,
            reviewer_user_id=actor.user_id,
            campaign_id=entry.campaign_id,
        ),
    )
    return assignment


async def recuse(
    session: AsyncSession, *, actor: Principal, assignment_id: uuid.UUID, reason: str
) -> Assignment:
    assignment = await _assignment_for_update(session, assignment_id)
    if is_reviewer(actor):
        _ensure_own_assignment(actor, assignment)
    elif pool_of(actor) != assignment.pool_id:
        raise ForbiddenError("无权处理其他推荐单位的评审任务。")
    if not reason.strip():
        raise InvalidInputError("回避理由：必填，请写明回避原因。")
    if assignment.status == RECUSED:
        raise StateConflictError("该评审任务已回避。")
    entry = await _entry_for_update(session, assignment.application_id)
    assignment.status = RECUSED
    assignment.recusal_reason = reason.strip()
    _audit(
        session, actor, entry, "assignment.recused", reason, {"assignment_id": str(assignment_id)}
    )
    return assignment


# --- aggregation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundResult:
    entry: Entry
    aggregate: Aggregate
    totals: dict[str, Decimal]


async def aggregate_round(
    session: AsyncSession,
    *,
    actor: Principal,
    application_id: uuid.UUID,
    rule: AggregationRule,
    spread_threshold: Decimal,
) -> RoundResult:
    entry = await _entry_for_update(session, application_id)
    pool_id = _review_pool_for(actor, entry)
    assignments = [
        a for a in await _assignments_of(session, application_id, pool_id) if a.status != RECUSED
    ]
    pending = [a.reviewer_user_id for a in assignments if a.status == ASSIGNED]
    if pending:
        raise StateConflictError(f"评分汇总：专家 {'、'.join(pending)} 尚未完成评分。")
    totals = {a.reviewer_user_id: Decimal(a.total or "0") for a in assignments}
    result = aggregate(list(totals.values()), rule, spread_threshold)
    level: Literal["unit", "national"] = "national" if pool_id == NATIONAL_POOL else "unit"
    if level == "national":
        entry.national_score = str(result.final_score)
        entry.status = states.NATIONAL_SCORED
    else:
        entry.unit_score = str(result.final_score)
        entry.status = states.SCORED
    detail = {
        "level": level,
        "rule": rule.value,
        "method": result.method,
        "final_score": str(result.final_score),
        "totals": {k: str(v) for k, v in totals.items()},
        "spread": str(result.spread),
        "spread_alert": result.is_spread_alert,
    }
    _audit(session, actor, entry, "scores.aggregated", "", detail)
    await add_to_outbox(
        session,
        messaging_tables,
        ApplicationScored(
            **_decision_fields(entry, actor, ""),
            level=level,
            final_score=str(result.final_score),
            score_count=result.score_count,
            aggregation="trimmed_mean" if result.method == "trimmed_mean" else "mean",
        ),
    )
    return RoundResult(entry, result, totals)


async def _assignments_of(
    session: AsyncSession, application_id: uuid.UUID, pool_id: str
) -> list[Assignment]:
    query = select(Assignment).where(
        Assignment.application_id == application_id, Assignment.pool_id == pool_id
    )
    return list((await session.execute(query.order_by(Assignment.assigned_at))).scalars())


def unit_ranks(entries: Sequence[Entry]) -> dict[str, int]:
    return ranked({str(e.application_id): Decimal(e.unit_score or "0") for e in entries})


# --- quotas and recommendation (名额, 推荐) ---------------------------------------------------


async def list_units(session: AsyncSession, *, actor: Principal) -> list[UnitCampaign]:
    ensure_secretary(actor)
    query = select(UnitCampaign).order_by(UnitCampaign.campaign_id, UnitCampaign.unit_id)
    if actor.role not in NATIONAL_STAFF:
        query = query.where(UnitCampaign.unit_id == actor.org_id)
    return list((await session.execute(query)).scalars())


async def _unit_campaign(
    session: AsyncSession, unit_id: str, campaign_id: str | None
) -> UnitCampaign:
    unit = await session.get(UnitCampaign, (unit_id, campaign_id or ""), with_for_update=True)
    if unit is None:
        raise NotFoundError(
            f"推荐单位 {unit_id} 尚未转发 {campaign_id or '本年度'} 活动通知，"
            "评审系统中没有其截止时间和名额。"
        )
    return unit


async def set_quota(
    session: AsyncSession, *, actor: Principal, unit_id: str, campaign_id: str, quota: int
) -> UnitCampaign:
    ensure_national_staff(actor)
    unit = await _unit_campaign(session, unit_id, campaign_id)
    previous = unit.quota
    unit.quota = quota
    session.add(
        _audit_row(
            actor,
            unit_id,
            None,
            "quota.set",
            "",
            {"campaign_id": campaign_id, "from": previous, "to": quota},
        )
    )
    return unit


async def extend_national_deadline(
    session: AsyncSession,
    *,
    actor: Principal,
    unit_id: str,
    campaign_id: str,
    deadline_at: datetime,
    reason: str,
) -> UnitCampaign:
    """Only the owner of the national deadline extends it, and says why."""
    ensure_national_staff(actor)
    if not reason.strip():
        raise InvalidInputError("理由：延长推荐截止时间必须写明理由。")
    unit = await _unit_campaign(session, unit_id, campaign_id)
    if deadline_at <= unit.national_deadline_at:
        raise InvalidInputError("新的截止时间：必须晚于当前的推荐截止时间，请重新填写。")
    detail = {
        "campaign_id": campaign_id,
        "from": unit.national_deadline_at.isoformat(),
        "to": deadline_at.isoformat(),
    }
    unit.national_deadline_at = deadline_at
    session.add(_audit_row(actor, unit_id, None, "deadline.extended", reason, detail))
    return unit


async def recommend(
    session: AsyncSession,
    *,
    actor: Principal,
    application_ids: Sequence[uuid.UUID],
    justification: str,
    now: datetime,
) -> list[Entry]:
    """Recommend scored entries; those beyond the quota wait for national approval."""
    entries = [
        await _entry_for_update(session, app_id) for app_id in dict.fromkeys(application_ids)
    ]
    if not entries:
        raise InvalidInputError("申报：请至少选择一条申报。")
    for entry in entries:
        ensure_unit_secretary_of(actor, entry.unit_id)
        states.require_state(entry.status, {states.SCORED}, "推荐")
    campaigns = {entry.campaign_id for entry in entries}
    if len(campaigns) > 1:
        raise InvalidInputError("申报：一次只能推荐同一活动年度的申报。")
    unit = await _unit_campaign(session, actor.org_id, campaigns.pop())
    _ensure_may_recommend(unit, now)
    already = await _count_against_quota(session, unit)
    over = is_over_quota(unit.quota, already, len(entries))
    ensure_justified(over_quota=over, justification=justification)
    ranks = unit_ranks(await _scored_entries_of(session, unit))
    ordered = sorted(entries, key=lambda e: ranks[str(e.application_id)])
    remaining = max((unit.quota or 0) - already, 0)
    for position, entry in enumerate(ordered):
        entry.rank = ranks[str(entry.application_id)]
        entry.over_quota = position >= remaining
        entry.justification = justification.strip() if entry.over_quota else ""
        if entry.over_quota:
            entry.status = states.PENDING_APPROVAL
            detail = {"rank": entry.rank, "quota": unit.quota}
            _audit(
                session, actor, entry, "recommendation.requested_over_quota", justification, detail
            )
        else:
            await _send_to_national(session, actor, entry, justification)
    return ordered


def _ensure_may_recommend(unit: UnitCampaign, now: datetime) -> None:
    if unit.disqualified_reason is not None:
        raise ForbiddenError(
            f"{unit.unit_name}已被中国质量协会取消本年度推荐资格（{unit.disqualified_reason}），不能推荐。"
        )
    if unit.quota is None:
        raise StateConflictError("中国质量协会尚未下达本单位的推荐名额，暂不能推荐。")
    ensure_before_deadline(now, unit.national_deadline_at)


async def _count_against_quota(session: AsyncSession, unit: UnitCampaign) -> int:
    count = await session.scalar(
        select(func.count()).where(
            Entry.unit_id == unit.unit_id,
            Entry.campaign_id == unit.campaign_id,
            Entry.status.in_(states.QUOTA_STATES),
        )
    )
    return int(count or 0)


async def _scored_entries_of(session: AsyncSession, unit: UnitCampaign) -> list[Entry]:
    query = select(Entry).where(
        Entry.unit_id == unit.unit_id,
        Entry.campaign_id == unit.campaign_id,
        Entry.unit_score.is_not(None),
        Entry.status.in_({states.SCORED, *states.QUOTA_STATES}),
    )
    return list((await session.execute(query)).scalars())


async def _send_to_national(
    session: AsyncSession, actor: Principal, entry: Entry, comment: str
) -> None:
    entry.status = states.RECOMMENDED
    detail = {"rank": entry.rank, "score": entry.unit_score, "over_quota": entry.over_quota}
    _audit(session, actor, entry, "recommendation.sent", comment, detail)
    await add_to_outbox(
        session,
        messaging_tables,
        ApplicationRecommended(
            **_decision_fields(entry, actor, comment),
            final_score=entry.unit_score or "0.00",
            rank=entry.rank or 0,
            over_quota=entry.over_quota,
        ),
    )


async def decide_over_quota(
    session: AsyncSession,
    *,
    actor: Principal,
    application_id: uuid.UUID,
    approve: bool,
    reason: str,
) -> Entry:
    ensure_national_staff(actor)
    entry = await _entry_for_update(session, application_id)
    states.require_state(entry.status, {states.PENDING_APPROVAL}, "审批超名额推荐")
    unit = await _unit_campaign(session, entry.unit_id, entry.campaign_id)
    if unit.disqualified_reason is not None:
        raise StateConflictError("该推荐单位已被取消推荐资格，不能批准。")
    if approve:
        await _send_to_national(session, actor, entry, reason)
        return entry
    if not reason.strip():
        raise InvalidInputError("理由：不批准超名额推荐时必填，请写明理由。")
    entry.status = states.SCORED
    entry.over_quota = False
    _audit(session, actor, entry, "recommendation.over_quota_refused", reason, {})
    return entry


# --- national decisions -------------------------------------------------------------------------


async def decide_awards(
    session: AsyncSession,
    *,
    actor: Principal,
    decisions: Sequence[tuple[uuid.UUID, AwardDecision]],
    comment: str,
    public_notice_until: datetime | None,
    now: datetime,
) -> list[Entry]:
    """Bulk decisions; with a public-notice period they stay provisional until finalised."""
    ensure_national_staff(actor)
    ensure_notice_period(public_notice_until, now)
    if not decisions:
        raise InvalidInputError("评审决定：请至少选择一条申报。")
    decided = []
    for application_id, decision in dict(decisions).items():
        entry = await _entry_for_update(session, application_id)
        states.require_state(entry.status, {states.NATIONAL_SCORED}, "作出全国评审决定")
        entry.provisional_decision = decision.value
        detail = {"decision": decision.value, "public_notice_until": _iso(public_notice_until)}
        _audit(session, actor, entry, "award.decided", comment, detail)
        if public_notice_until is None:
            await _finalise(session, actor, entry, comment)
        else:
            entry.status = states.PUBLIC_NOTICE
            entry.public_notice_until = public_notice_until
        decided.append(entry)
    return decided


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def raise_objection(
    session: AsyncSession,
    *,
    actor: Principal,
    application_id: uuid.UUID,
    raised_by: str,
    text: str,
    now: datetime,
) -> Objection:
    """Record an objection received during 公示 (by letter, phone or mail to the office)."""
    ensure_national_staff(actor)
    entry = await _entry_for_update(session, application_id)
    states.require_state(entry.status, {states.PUBLIC_NOTICE}, "受理异议（仅公示期内）")
    if entry.public_notice_until is not None and now >= entry.public_notice_until:
        raise StateConflictError("公示期已结束，不再受理异议。")
    objection = Objection(
        objection_id=uuid.uuid4(),
        application_id=application_id,
        raised_by=raised_by.strip(),
        text=text.strip(),
        raised_at=now,
    )
    session.add(objection)
    _audit(session, actor, entry, "objection.raised", text, {"raised_by": raised_by})
    return objection


async def resolve_objection(
    session: AsyncSession,
    *,
    actor: Principal,
    objection_id: uuid.UUID,
    upheld: bool,
    resolution: str,
) -> Objection:
    ensure_national_staff(actor)
    objection = await session.get(Objection, objection_id, with_for_update=True)
    if objection is None:
        raise NotFoundError("该异议不存在。")
    if objection.resolution is not None:
        raise StateConflictError("该异议已处理。")
    entry = await _entry_for_update(session, objection.application_id)
    objection.resolution = resolution.strip()
    if upheld:
        entry.provisional_decision = AwardDecision.NOT_AWARDED.value
    detail = {"objection_id": str(objection_id), "upheld": upheld}
    _audit(session, actor, entry, "objection.resolved", resolution, detail)
    return objection


async def finalise_awards(
    session: AsyncSession, *, actor: Principal, application_ids: Sequence[uuid.UUID], now: datetime
) -> list[Entry]:
    ensure_national_staff(actor)
    entries = [
        await _entry_for_update(session, app_id) for app_id in dict.fromkeys(application_ids)
    ]
    for entry in entries:
        states.require_state(entry.status, {states.PUBLIC_NOTICE}, "确定公示后的结果")
        open_count = await session.scalar(
            select(func.count()).where(
                Objection.application_id == entry.application_id, Objection.resolution.is_(None)
            )
        )
        ensure_can_finalise(entry.public_notice_until, int(open_count or 0), now)
        await _finalise(session, actor, entry, "公示期满")
    return entries


async def _finalise(session: AsyncSession, actor: Principal, entry: Entry, comment: str) -> None:
    fields = _decision_fields(entry, actor, comment)
    if entry.provisional_decision != AwardDecision.AWARDED.value:
        entry.status = states.NOT_AWARDED
        _audit(session, actor, entry, "award.final", comment, {"decision": entry.status})
        await add_to_outbox(session, messaging_tables, ApplicationNotAwarded(**fields))
        return
    year = await _campaign_year(session, entry)
    existing = await session.execute(
        select(Entry.certificate_serial).where(Entry.certificate_serial.is_not(None))
    )
    serial = certificate_serial(
        year, next_serial_number([s for s in existing.scalars() if s], year)
    )
    entry.certificate_serial = serial
    entry.status = states.AWARDED
    _audit(
        session, actor, entry, "award.final", comment, {"decision": entry.status, "serial": serial}
    )
    await session.flush()
    await add_to_outbox(
        session,
        messaging_tables,
        ApplicationAwarded(
            **fields,
            year=year,
            certificate_serial=serial,
            enterprise_name=entry.enterprise_name,
            group_name=entry.group_name,
            topic_name=entry.topic_name,
        ),
    )


async def _campaign_year(session: AsyncSession, entry: Entry) -> int:
    unit = await session.get(UnitCampaign, (entry.unit_id, entry.campaign_id or ""))
    if unit is not None:
        return unit.campaign_year
    campaign_id = entry.campaign_id or ""
    return int(campaign_id) if campaign_id.isdecimal() else entry.submitted_at.year


async def disqualify_unit(
    session: AsyncSession, *, actor: Principal, unit_id: str, campaign_id: str, reason: str
) -> list[Entry]:
    """取消推荐资格: pending recommendations fall, new ones are refused, everyone is told."""
    ensure_national_staff(actor)
    if not reason.strip():
        raise InvalidInputError("理由：取消推荐资格必须写明理由。")
    unit = await _unit_campaign(session, unit_id, campaign_id)
    if unit.disqualified_reason is not None:
        raise StateConflictError(f"{unit.unit_name}已被取消本年度推荐资格。")
    unit.disqualified_reason = reason.strip()
    query = select(Entry).where(
        Entry.unit_id == unit_id,
        Entry.campaign_id == campaign_id,
        Entry.status.in_(states.PENDING_NATIONAL_STATES),
    )
    affected = list((await session.execute(query.with_for_update())).scalars())
    for entry in affected:
        entry.status = states.DISQUALIFIED
        _audit(session, actor, entry, "application.disqualified", reason, {})
        await add_to_outbox(
            session,
            messaging_tables,
            ApplicationDisqualified(**_decision_fields(entry, actor, ""), reason=reason.strip()),
        )
    affected_ids = tuple(e.application_id for e in affected)
    detail = {"campaign_id": campaign_id, "affected": [str(i) for i in affected_ids]}
    session.add(_audit_row(actor, unit_id, None, "unit.disqualified", reason, detail))
    await add_to_outbox(
        session,
        messaging_tables,
        UnitDisqualified(
            campaign_id=campaign_id,
            unit_id=unit_id,
            unit_name=unit.unit_name,
            reason=reason.strip(),
            affected_application_ids=affected_ids,
            decided_by=actor.user_id,
        ),
    )
    return affected


# --- tables for render, and score exports ----------------------------------------------------


@dataclass(frozen=True)
class TableRequest:
    table_kind: TableKind
    campaign_id: str
    header: dict[str, str]
    footer: dict[str, str]
    statistics: list[dict[str, str]]


async def request_table(
    session: AsyncSession, *, actor: Principal, request: TableRequest, now: datetime
) -> UnitTable:
    if actor.role in NATIONAL_STAFF:
        return await _request_national_table(session, actor=actor, request=request, now=now)
    if actor.role != Role.UNIT_SECRETARY:
        raise ForbiddenError("只有推荐单位秘书处可以生成本单位的推荐表、评审汇总表和活动统计表。")
    unit = await _unit_campaign(session, actor.org_id, request.campaign_id)
    rows = await _table_rows(session, unit, request)
    row = UnitTable(
        request_id=uuid.uuid4().hex,
        unit_id=unit.unit_id,
        campaign_id=unit.campaign_id,
        table_kind=request.table_kind,
        requested_by=actor.user_id,
        requested_at=now,
        files=[],
    )
    session.add(row)
    header = {"unit_name": unit.unit_name, **request.header}
    if request.table_kind == "review_summary":
        header.setdefault("review_round", "资料评审")
        header.setdefault("review_date", now.astimezone(SHANGHAI).date().isoformat())
    session.add(
        _audit_row(actor, unit.unit_id, None, "table.requested", "", {"kind": request.table_kind})
    )
    await add_to_outbox(
        session,
        messaging_tables,
        TableRequested(
            campaign_id=unit.campaign_id,
            request_id=row.request_id,
            table_kind=request.table_kind,
            unit_id=unit.unit_id,
            unit_name=unit.unit_name,
            campaign_year=unit.campaign_year,
            header=header,
            rows=rows,
            footer=request.footer,
            requested_by=actor.user_id,
        ),
    )
    return row


async def _request_national_table(
    session: AsyncSession, *, actor: Principal, request: TableRequest, now: datetime
) -> UnitTable:
    """The national round's 成果评审汇总表 over every entry scored at the national level."""
    if request.table_kind != "review_summary":
        raise InvalidInputError("表格类型：全国评审只生成成果评审汇总表（review_summary）。")
    if not request.campaign_id.isdecimal():
        raise InvalidInputError("活动年度：全国评审汇总表请填写年度数字，如 2023。")
    query = select(Entry).where(
        Entry.campaign_id == request.campaign_id, Entry.national_score.is_not(None)
    )
    entries = list((await session.execute(query)).scalars())
    if not entries:
        raise StateConflictError("成果评审汇总表：全国评审尚无已汇总评分的申报。")
    rows = review_summary_rows([await _scored_row(session, e, NATIONAL_POOL) for e in entries])
    table = UnitTable(
        request_id=uuid.uuid4().hex,
        unit_id=NATIONAL_POOL,
        campaign_id=request.campaign_id,
        table_kind=request.table_kind,
        requested_by=actor.user_id,
        requested_at=now,
        files=[],
    )
    session.add(table)
    header = {"unit_name": NATIONAL_OFFICE, "review_round": "全国评审", **request.header}
    header.setdefault("review_date", now.astimezone(SHANGHAI).date().isoformat())
    session.add(_audit_row(actor, NATIONAL_POOL, None, "table.requested", "", {"kind": "national"}))
    await add_to_outbox(
        session,
        messaging_tables,
        TableRequested(
            campaign_id=request.campaign_id,
            request_id=table.request_id,
            table_kind="review_summary",
            unit_id=None,
            unit_name=NATIONAL_OFFICE,
            campaign_year=int(request.campaign_id),
            header=header,
            rows=rows,
            footer=request.footer,
            requested_by=actor.user_id,
        ),
    )
    return table


async def _table_rows(
    session: AsyncSession, unit: UnitCampaign, request: TableRequest
) -> tuple[dict[str, str], ...]:
    if request.table_kind == "activity_statistics":
        if not request.statistics:
            raise InvalidInputError("统计数据：活动统计表至少需要填写一行（每个会员单位一行）。")
        return statistics_rows(request.statistics, await _achievements_by_enterprise(session, unit))
    scored = await _scored_rows(session, unit)
    if request.table_kind == "recommendation":
        recommended = [r for r in scored if r.conclusion == "推荐"]
        if not recommended:
            raise StateConflictError("推荐表：本单位尚未向全国推荐任何申报。")
        return recommendation_rows(recommended)
    if not scored:
        raise StateConflictError("成果评审汇总表：本单位尚无已汇总评分的申报。")
    return review_summary_rows(scored)


async def _achievements_by_enterprise(session: AsyncSession, unit: UnitCampaign) -> dict[str, int]:
    rows = await session.execute(
        select(Entry.enterprise_name, func.count())
        .where(Entry.unit_id == unit.unit_id, Entry.campaign_id == unit.campaign_id)
        .group_by(Entry.enterprise_name)
    )
    return {str(name): int(count) for name, count in rows.all()}


async def _scored_rows(session: AsyncSession, unit: UnitCampaign) -> list[ScoredRow]:
    entries = await _scored_entries_of(session, unit)
    return [await _scored_row(session, entry, unit.unit_id) for entry in entries]


NATIONAL_CONCLUSIONS = {
    states.AWARDED: "授予全国优秀质量管理小组",
    states.NOT_AWARDED: "不授予",
    states.PUBLIC_NOTICE: "公示中",
    states.DISQUALIFIED: "推荐资格已取消",
}


async def _scored_row(session: AsyncSession, entry: Entry, pool_id: str) -> ScoredRow:
    assignments = await _assignments_of(session, entry.application_id, pool_id)
    is_national = pool_id == NATIONAL_POOL
    if is_national:
        conclusion = NATIONAL_CONCLUSIONS.get(entry.status, "待定")
    else:
        conclusion = "推荐" if entry.status in RECOMMENDED_STATES else "不推荐"
    return ScoredRow(
        enterprise_name=entry.enterprise_name,
        group_name=entry.group_name,
        topic_name=entry.topic_name,
        topic_type=entry.topic_type,
        score=(entry.national_score if is_national else entry.unit_score) or "",
        rank=entry.rank,
        is_over_quota=entry.over_quota,
        reviewer_totals=tuple(a.total or "" for a in assignments if a.status == COMPLETED),
        method=await _round_method(session, entry, "national" if is_national else "unit"),
        conclusion=conclusion,
    )


async def _round_method(session: AsyncSession, entry: Entry, level: str) -> str:
    details = await session.execute(
        select(AuditRecord.detail)
        .where(
            AuditRecord.application_id == entry.application_id,
            AuditRecord.action == "scores.aggregated",
        )
        .order_by(AuditRecord.at)
    )
    rounds = [d for d in details.scalars() if d.get("level") == level]
    return str(rounds[-1].get("method", "mean")) if rounds else "mean"


async def register_rendered_document(session: AsyncSession, event: DocumentRendered) -> None:
    """A generated 申报表 joins the entry's files; a requested table gets its files."""
    if event.subject_type == "application":
        await _keep_generated_files(session, event)
        return
    if event.subject_type != "unit_table":
        return
    row = await session.get(UnitTable, event.request_id or event.subject_id, with_for_update=True)
    if row is None:
        return
    row.files = [file.model_dump(mode="json") for file in event.files]


async def _keep_generated_files(session: AsyncSession, event: DocumentRendered) -> None:
    try:
        application_id = uuid.UUID(event.subject_id)
    except ValueError:
        return
    generated = [
        EvidenceFile(
            file_id=uuid.uuid5(uuid.NAMESPACE_URL, file.storage_key),
            kind=f"generated:{event.document_kind}",
            filename=f"{event.document_kind}-r{event.revision}.{file.format}",
            content_type=file.content_type,
            size=file.size,
            sha256=file.sha256,
            storage_key=file.storage_key,
        )
        for file in event.files
    ]
    await _keep_files(session, application_id, generated)


async def list_tables(session: AsyncSession, *, actor: Principal) -> list[UnitTable]:
    query = select(UnitTable).order_by(UnitTable.requested_at.desc())
    if actor.role not in NATIONAL_STAFF:
        query = query.where(UnitTable.unit_id == visible_unit(actor))
    return list((await session.execute(query)).scalars())


async def table_file(
    session: AsyncSession, *, actor: Principal, request_id: str, file_format: str
) -> tuple[UnitTable, dict[str, Any]]:
    row = await session.get(UnitTable, request_id)
    if row is None:
        raise NotFoundError("该表格不存在。")
    if actor.role not in NATIONAL_STAFF and visible_unit(actor) != row.unit_id:
        raise ForbiddenError("无权下载其他推荐单位的表格。")
    for file in row.files:
        if file.get("format") == file_format:
            return row, file
    raise NotFoundError("文件正在生成中，请稍后刷新。")


async def score_export_rows(
    session: AsyncSession, *, actor: Principal, campaign_id: str | None
) -> list[ExportRow]:
    """Per-criterion marks per reviewer for the secretary's own pool (unit or national)."""
    pool_id = pool_of(actor)
    query = (
        select(Assignment, Entry)
        .join(Entry, Entry.application_id == Assignment.application_id)
        .where(Assignment.pool_id == pool_id, Assignment.status == COMPLETED)
        .order_by(Entry.group_name, Assignment.reviewer_user_id)
    )
    if campaign_id:
        query = query.where(Entry.campaign_id == campaign_id)
    reviewers = {
        r.user_id: r.name
        for r in (
            await session.execute(select(Reviewer).where(Reviewer.pool_id == pool_id))
        ).scalars()
    }
    return [
        ExportRow(
            application_id=str(entry.application_id),
            enterprise_name=entry.enterprise_name,
            group_name=entry.group_name,
            topic_name=entry.topic_name,
            topic_type=entry.topic_type,
            reviewer=reviewers.get(assignment.reviewer_user_id, assignment.reviewer_user_id),
            sheet=sheet_by_id(assignment.sheet_id),
            marks=dict(assignment.marks),
            comments=dict(assignment.comments),
            total=assignment.total or "",
        )
        for assignment, entry in (await session.execute(query)).all()
    ]


# --- audit -------------------------------------------------------------------------------------


def _audit(
    session: AsyncSession,
    actor: Principal,
    entry: Entry,
    action: str,
    reason: str,
    detail: dict[str, Any],
) -> None:
    session.add(_audit_row(actor, entry.unit_id, entry.application_id, action, reason, detail))


def _audit_row(
    actor: Principal,
    unit_id: str,
    application_id: uuid.UUID | None,
    action: str,
    reason: str,
    detail: dict[str, Any],
) -> AuditRecord:
    return AuditRecord(
        record_id=uuid.uuid4(),
        at=_now(),
        actor_id=actor.user_id,
        actor_role=actor.role.value,
        actor_name=actor.name,
        unit_id=unit_id,
        application_id=application_id,
        action=action,
        reason=reason.strip(),
        detail=detail,
    )


def _now() -> datetime:
    return datetime.now(UTC)
