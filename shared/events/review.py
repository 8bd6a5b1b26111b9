"""Events published by review: every decision on an entry, and document requests."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, Field

from shared.events.base import Event
from shared.events.intake import Contact, Record

ReviewLevel = Literal["unit", "national"]


class ScreeningReason(Record):
    code: str
    label: str
    note: str = ""


class _Decision(Event):
    application_id: uuid.UUID
    unit_id: str
    enterprise_id: str
    revision: int
    decided_by: str
    comment: str = ""


class ApplicationAccepted(_Decision):
    """Passed screening (形式审查); goes to scoring."""

    type: Literal["application.accepted"] = "application.accepted"


class ApplicationReturned(_Decision):
    type: Literal["application.returned"] = "application.returned"
    reasons: tuple[ScreeningReason, ...]
    correction_deadline_at: AwareDatetime


class ApplicationRejected(_Decision):
    type: Literal["application.rejected"] = "application.rejected"
    reasons: tuple[ScreeningReason, ...]


class ApplicationScored(_Decision):
    type: Literal["application.scored"] = "application.scored"
    level: ReviewLevel
    final_score: str  # decimal with two places, e.g. "87.25"
    score_count: int
    aggregation: Literal["mean", "trimmed_mean"]


class ApplicationRecommended(_Decision):
    """Recommended by the unit to the national level, with its score."""

    type: Literal["application.recommended"] = "application.recommended"
    final_score: str
    rank: int
    over_quota: bool = False


class ApplicationAwarded(_Decision):
    """Named 全国优秀质量管理小组; carries what the certificate prints."""

    type: Literal["application.awarded"] = "application.awarded"
    title: str = "全国优秀质量管理小组"
    year: int
    certificate_serial: str
    enterprise_name: str
    group_name: str
    topic_name: str


class ApplicationNotAwarded(_Decision):
    type: Literal["application.not_awarded"] = "application.not_awarded"


class ApplicationDisqualified(_Decision):
    type: Literal["application.disqualified"] = "application.disqualified"
    reason: str


class UnitDisqualified(Event):
    type: Literal["unit.disqualified"] = "unit.disqualified"
    unit_id: str
    unit_name: str
    reason: str
    affected_application_ids: tuple[uuid.UUID, ...]
    decided_by: str


class ReviewerAssigned(Event):
    type: Literal["reviewer.assigned"] = "reviewer.assigned"
    assignment_id: str
    application_id: uuid.UUID
    unit_id: str
    level: ReviewLevel
    reviewer: Contact
    due_at: AwareDatetime
    group_name: str
    topic_name: str


class AssignmentCompleted(Event):
    type: Literal["assignment.completed"] = "assignment.completed"
    assignment_id: str
    application_id: uuid.UUID
    reviewer_user_id: str


TableKind = Literal["recommendation", "review_summary", "activity_statistics"]


class TableRequested(Event):
    """A unit (or the national office) asked for one of the notice's tables, with its data."""

    type: Literal["table.requested"] = "table.requested"
    request_id: str
    table_kind: TableKind
    unit_id: str | None  # None: the national round
    unit_name: str
    campaign_year: int
    header: dict[str, str]
    rows: tuple[dict[str, str], ...]
    footer: dict[str, str] = Field(default_factory=dict)
    formats: tuple[Literal["docx", "pdf", "xlsx"], ...] = ("docx", "pdf", "xlsx")
    requested_by: str


class _PackageStep(Event):
    """A step of a recommending unit's package to the national office (附件2–5)."""

    unit_id: str
    unit_name: str
    campaign_year: int
    revision: int
    unit_contacts: tuple[Contact, ...] = ()
    decided_by: str


class PackageSubmitted(_PackageStep):
    type: Literal["package.submitted"] = "package.submitted"


class PackageReturned(_PackageStep):
    type: Literal["package.returned"] = "package.returned"
    reasons: tuple[str, ...]


class PackageAccepted(_PackageStep):
    type: Literal["package.accepted"] = "package.accepted"


class PackageReminded(_PackageStep):
    """The national office reminded a unit whose package is not yet submitted."""

    type: Literal["package.reminded"] = "package.reminded"
    national_deadline_at: AwareDatetime
    message: str = ""
