"""Award decisions, the public-notice period (公示) and certificate serials."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from services.review.domain.errors import InvalidInputError, StateConflictError


class AwardDecision(StrEnum):
    AWARDED = "awarded"
    NOT_AWARDED = "not_awarded"


def certificate_serial(year: int, number: int) -> str:
    return f"QC{year}-{number:04d}"


def next_serial_number(existing: list[str], year: int) -> int:
    prefix = f"QC{year}-"
    numbers = [int(s.removeprefix(prefix)) for s in existing if s.startswith(prefix)]
    return max(numbers, default=0) + 1


def ensure_notice_period(public_notice_until: datetime | None, now: datetime) -> None:
    if public_notice_until is not None and public_notice_until <= now:
        raise InvalidInputError("公示截止时间：必须晚于当前时间，请重新填写。")


def ensure_can_finalise(
    public_notice_until: datetime | None, open_objections: int, now: datetime
) -> None:
    if public_notice_until is not None and now < public_notice_until:
        raise StateConflictError("公示期尚未结束，不能确定最终结果。")
    if open_objections:
        raise StateConflictError(f"尚有 {open_objections} 条异议未处理，请先处理异议。")
