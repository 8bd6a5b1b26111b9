"""The application's life cycle on the intake side."""

from __future__ import annotations

from enum import StrEnum

from services.intake.domain.errors import TransitionNotAllowedError


class ApplicationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


STATUS_LABELS: dict[ApplicationStatus, str] = {
    ApplicationStatus.DRAFT: "草稿",
    ApplicationStatus.SUBMITTED: "已提交",
}

_ALLOWED: dict[str, set[ApplicationStatus]] = {
    "edit": {ApplicationStatus.DRAFT},
    "attach": {ApplicationStatus.DRAFT},
    "submit": {ApplicationStatus.DRAFT},
}

_REFUSALS: dict[str, str] = {
    "edit": "申报表已提交，不能再修改。",
    "attach": "申报表已提交，不能再上传材料。",
    "submit": "申报表已提交，无需重复提交。",
}


def ensure_allowed(status: ApplicationStatus, action: str) -> None:
    if status not in _ALLOWED[action]:
        raise TransitionNotAllowedError(_REFUSALS[action])


def next_status(status: ApplicationStatus, action: str) -> ApplicationStatus:
    ensure_allowed(status, action)
    return ApplicationStatus.SUBMITTED if action == "submit" else status
