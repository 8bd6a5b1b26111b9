"""The application's life cycle on the intake side, and how review's decisions move it."""

from __future__ import annotations

from enum import StrEnum

from services.intake.domain.errors import TransitionNotAllowedError


class ApplicationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    WITHDRAWN = "withdrawn"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RECOMMENDED = "recommended"
    AWARDED = "awarded"
    NOT_AWARDED = "not_awarded"
    DISQUALIFIED = "disqualified"


STATUS_LABELS: dict[ApplicationStatus, str] = {
    ApplicationStatus.DRAFT: "草稿",
    ApplicationStatus.SUBMITTED: "已提交，待推荐单位形式审查",
    ApplicationStatus.RETURNED: "已退回修改",
    ApplicationStatus.RESUBMITTED: "已重新提交，待推荐单位形式审查",
    ApplicationStatus.WITHDRAWN: "已撤回",
    ApplicationStatus.ACCEPTED: "形式审查通过，评审中",
    ApplicationStatus.REJECTED: "形式审查未通过",
    ApplicationStatus.RECOMMENDED: "已推荐至中国质量协会",
    ApplicationStatus.AWARDED: "荣获全国优秀质量管理小组",
    ApplicationStatus.NOT_AWARDED: "未获评全国优秀质量管理小组",
    ApplicationStatus.DISQUALIFIED: "已取消推荐资格",
}

EDITABLE = frozenset({ApplicationStatus.DRAFT, ApplicationStatus.RETURNED})
AWAITING_SCREENING = frozenset({ApplicationStatus.SUBMITTED, ApplicationStatus.RESUBMITTED})

_ALLOWED: dict[str, frozenset[ApplicationStatus]] = {
    "edit": EDITABLE,
    "attach": EDITABLE,
    "submit": EDITABLE,
    "withdraw": EDITABLE | AWAITING_SCREENING,
}

_REFUSALS: dict[str, str] = {
    "edit": "申报表当前状态为“{label}”，不能修改；只有草稿或被退回的申报表可以修改。",
    "attach": "申报表当前状态为“{label}”，不能上传材料；只有草稿或被退回的申报表可以上传。",
    "submit": "申报表当前状态为“{label}”，不能提交；只有草稿或被退回的申报表可以提交。",
    "withdraw": "申报表当前状态为“{label}”，推荐单位已开始审查，不能撤回；如需撤回请联系推荐单位。",
}

DECISION_STATUSES: dict[str, ApplicationStatus] = {
    "application.accepted": ApplicationStatus.ACCEPTED,
    "application.returned": ApplicationStatus.RETURNED,
    "application.rejected": ApplicationStatus.REJECTED,
    "application.recommended": ApplicationStatus.RECOMMENDED,
    "application.awarded": ApplicationStatus.AWARDED,
    "application.not_awarded": ApplicationStatus.NOT_AWARDED,
    "application.disqualified": ApplicationStatus.DISQUALIFIED,
    "unit.disqualified": ApplicationStatus.DISQUALIFIED,
}


def ensure_allowed(status: ApplicationStatus, action: str) -> None:
    if status not in _ALLOWED[action]:
        raise TransitionNotAllowedError(_REFUSALS[action].format(label=STATUS_LABELS[status]))


def next_status(status: ApplicationStatus, action: str) -> ApplicationStatus:
    ensure_allowed(status, action)
    if action == "withdraw":
        return ApplicationStatus.WITHDRAWN
    if action == "submit":
        is_correction = status is ApplicationStatus.RETURNED
        return ApplicationStatus.RESUBMITTED if is_correction else ApplicationStatus.SUBMITTED
    return status


def is_stale_decision(
    status: ApplicationStatus, *, decided_revision: int, current_revision: int
) -> bool:
    """A decision about an older revision, or about a withdrawn entry, changes nothing."""
    return decided_revision < current_revision or status is ApplicationStatus.WITHDRAWN
