"""The recommending unit's package to the national office (附件2–5): its parts and life cycle."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from services.review.domain.errors import (
    DeadlinePassedError,
    InvalidInputError,
    StateConflictError,
)
from services.review.domain.quotas import SHANGHAI

DRAFT, SUBMITTED, RETURNED, ACCEPTED = "draft", "submitted", "returned", "accepted"
STATUS_LABELS = {
    DRAFT: "草稿",
    SUBMITTED: "已提交",
    RETURNED: "已退回修改",
    ACCEPTED: "已接收",
}
EDITABLE_STATES = frozenset({DRAFT, RETURNED})
NOT_SUBMITTED_STATES = EDITABLE_STATES

# The four parts, in the order of the notice (附件2–5).
PART_LABELS = {
    "recommendation_scan": "全国优秀质量管理小组推荐表（盖章扫描件）",
    "review_summary": "质量管理小组成果评审汇总表",
    "activity_statistics": "质量管理小组活动统计表",
    "work_summary": "年度质量管理小组活动工作总结",
}


def ensure_editable(status: str) -> None:
    if status not in EDITABLE_STATES:
        raise StateConflictError(
            f"推荐材料包当前状态为「{STATUS_LABELS.get(status, status)}」，不能修改；"
            "只有草稿或被退回修改的材料包可以修改。"
        )


def ensure_complete(parts_present: Mapping[str, bool]) -> None:
    missing = [PART_LABELS[key] for key, present in parts_present.items() if not present]
    if missing:
        raise StateConflictError(f"推荐材料包不完整，缺少：{'、'.join(missing)}。请补齐后再提交。")


def ensure_before_national_deadline(now: datetime, deadline_at: datetime) -> None:
    if now > deadline_at:
        local = deadline_at.astimezone(SHANGHAI).strftime("%Y年%m月%d日 %H:%M")
        raise DeadlinePassedError(
            f"全国推荐截止时间（北京时间 {local}）已过，不能再提交推荐材料包。"
            "如需延期，请联系中国质量协会。"
        )


def next_status_on_submit(status: str) -> str:
    ensure_editable(status)
    return SUBMITTED


def ensure_submitted(status: str, action: str) -> None:
    if status != SUBMITTED:
        raise StateConflictError(
            f"推荐材料包当前状态为「{STATUS_LABELS.get(status, status)}」，"
            f"只有已提交的材料包可以{action}。"
        )


def checked_reasons(reasons: list[str]) -> tuple[str, ...]:
    cleaned = tuple(r.strip() for r in reasons if r.strip())
    if not cleaned:
        raise InvalidInputError("退回理由：请至少写明一条退回理由，推荐单位据此修改。")
    return cleaned


def deadline_text(deadline_at: datetime) -> str:
    return deadline_at.astimezone(SHANGHAI).strftime("%Y年%m月%d日 %H:%M")
