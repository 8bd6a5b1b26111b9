"""形式审查: a checklist of structured reasons and three outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.review.domain.errors import InvalidInputError

REASONS: dict[str, str] = {
    "missing_sealed_form": "缺少盖章申报表",
    "name_mismatch": "企业名称与公章不一致",
    "wrong_file_type": "文件类型不符合要求",
    "topic_not_registered": "课题未注册登记",
    "incomplete_form": "申报表填写不完整",
    "missing_report": "缺少成果报告",
    "group_not_registered": "小组未注册登记",
    "other": "其他",
}


class ScreeningOutcome(StrEnum):
    ACCEPT = "accept"
    RETURN = "return"
    REJECT = "reject"


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    note: str


def checked_reasons(
    outcome: ScreeningOutcome,
    picked: list[tuple[str, str]],
    correction_deadline_at: datetime | None,
    now: datetime,
) -> tuple[Reason, ...]:
    """The reasons as recorded; refuses a return or rejection without a reason."""
    unknown = [code for code, _ in picked if code not in REASONS]
    if unknown:
        raise InvalidInputError(f"审查原因：未知代码 {'、'.join(unknown)}，请从审查清单中选择。")
    reasons = tuple(Reason(code, REASONS[code], note.strip()) for code, note in picked)
    if outcome is ScreeningOutcome.ACCEPT:
        return reasons
    if not reasons:
        raise InvalidInputError("审查原因：退回或不予受理时至少选择一项原因。")
    if any(r.code == "other" and not r.note for r in reasons):
        raise InvalidInputError("审查原因：选择“其他”时请在说明中写明具体原因。")
    if outcome is ScreeningOutcome.RETURN:
        if correction_deadline_at is None:
            raise InvalidInputError("修改截止时间：退回修改时必填，请填写。")
        if correction_deadline_at <= now:
            raise InvalidInputError("修改截止时间：必须晚于当前时间，请重新填写。")
    return reasons
