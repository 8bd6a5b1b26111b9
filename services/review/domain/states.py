"""Entry states as review sees them, and which action each allows."""

from __future__ import annotations

from services.review.domain.errors import StateConflictError

AWAITING_SCREENING = "awaiting_screening"
RETURNED = "returned"
REJECTED = "rejected"
ACCEPTED = "accepted"
SCORED = "scored"
PENDING_APPROVAL = "pending_approval"
RECOMMENDED = "recommended"
NATIONAL_SCORED = "national_scored"
PUBLIC_NOTICE = "public_notice"
AWARDED = "awarded"
NOT_AWARDED = "not_awarded"
WITHDRAWN = "withdrawn"
DISQUALIFIED = "disqualified"

# What national staff see: recommended entries, and over-quota ones waiting for their approval.
NATIONAL_STATES = frozenset(
    {
        PENDING_APPROVAL,
        RECOMMENDED,
        NATIONAL_SCORED,
        PUBLIC_NOTICE,
        AWARDED,
        NOT_AWARDED,
        DISQUALIFIED,
    }
)
# Count against the unit's quota: recommended or waiting for approval, and not disqualified.
QUOTA_STATES = frozenset(
    {PENDING_APPROVAL, RECOMMENDED, NATIONAL_SCORED, PUBLIC_NOTICE, AWARDED, NOT_AWARDED}
)
# A disqualification takes these back; final decisions stand.
PENDING_NATIONAL_STATES = frozenset({PENDING_APPROVAL, RECOMMENDED, NATIONAL_SCORED, PUBLIC_NOTICE})
FINAL_STATES = frozenset({REJECTED, AWARDED, NOT_AWARDED, WITHDRAWN, DISQUALIFIED})

LABELS: dict[str, str] = {
    AWAITING_SCREENING: "待形式审查",
    RETURNED: "已退回修改",
    REJECTED: "不予受理",
    ACCEPTED: "评审中",
    SCORED: "已评分",
    PENDING_APPROVAL: "超名额待批准",
    RECOMMENDED: "已推荐至全国",
    NATIONAL_SCORED: "全国评审已评分",
    PUBLIC_NOTICE: "公示中",
    AWARDED: "全国优秀质量管理小组",
    NOT_AWARDED: "未获评",
    WITHDRAWN: "已撤回",
    DISQUALIFIED: "推荐资格已取消",
}


def require_state(current: str, allowed: frozenset[str] | set[str], action: str) -> None:
    if current not in allowed:
        raise StateConflictError(
            f"该申报当前状态为“{LABELS.get(current, current)}”，不能{action}。"
        )
