"""Rows of the notice's tables (推荐表, 成果评审汇总表, 活动统计表), keyed as render's templates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from services.review.domain.errors import InvalidInputError

STATISTICS_INTEGERS = (
    "employees",
    "groups_cumulative",
    "groups_registered",
    "groups_active",
    "achievements",
    "participants",
    "trained",
    "suggestions",
    "promoters",
)
STATISTICS_LABELS = {
    "enterprise_name": "单位名称",
    "employees": "企业职工总数",
    "groups_cumulative": "历年累计注册QC小组数",
    "groups_registered": "本年度注册QC小组数",
    "groups_active": "本年度开展活动QC小组数",
    "achievements": "当年取得成果数",
    "participants": "参加QC小组人数",
    "direct_benefit": "直接效益（万元）",
    "trained": "参加QC小组培训人数",
    "suggestions": "合理化建议数",
    "promoters": "QC小组活动推进者人数",
}
METHOD_LABELS = {"trimmed_mean": "去掉最高最低分后平均", "mean": "算术平均"}


@dataclass(frozen=True)
class ScoredRow:
    enterprise_name: str
    group_name: str
    topic_name: str
    topic_type: str
    score: str
    rank: int | None
    is_over_quota: bool
    reviewer_totals: tuple[str, ...]
    method: str
    conclusion: str


def recommendation_rows(rows: Sequence[ScoredRow]) -> tuple[dict[str, str], ...]:
    ordered = sorted(rows, key=lambda r: (r.rank or 0, r.group_name))
    return tuple(
        {
            "enterprise_name": r.enterprise_name,
            "group_name": r.group_name,
            "topic_name": r.topic_name,
            "topic_type": r.topic_type,
            "score": r.score,
            "rank": str(r.rank or ""),
            "presented": "",
            "remarks": "超名额，经中国质量协会批准" if r.is_over_quota else "",
        }
        for r in ordered
    )


def review_summary_rows(rows: Sequence[ScoredRow]) -> tuple[dict[str, str], ...]:
    ordered = sorted(rows, key=lambda r: -Decimal(r.score or "0"))
    return tuple(
        {
            "enterprise_name": r.enterprise_name,
            "group_name": r.group_name,
            "topic_name": r.topic_name,
            "topic_type": r.topic_type,
            "review_method": "资料评审",
            "expert_scores": "、".join(r.reviewer_totals),
            "average_score": r.score if r.method == "trimmed_mean" else "",
            "final_score": r.score,
            "conclusion": r.conclusion,
        }
        for r in ordered
    )


def statistics_rows(
    typed: Sequence[Mapping[str, str]], achievements_by_enterprise: Mapping[str, int]
) -> tuple[dict[str, str], ...]:
    """The unit's figures per member enterprise, checked; 当年成果数 defaults to entries seen."""
    rows = []
    for number, row in enumerate(typed, start=1):
        unknown = sorted(set(row) - set(STATISTICS_LABELS))
        if unknown:
            raise InvalidInputError(
                f"第{number}行：{'、'.join(unknown)} 不是活动统计表的栏目，请删除。"
            )
        name = row.get("enterprise_name", "").strip()
        if not name:
            raise InvalidInputError(f"第{number}行 单位名称：必填，请填写。")
        checked = {"enterprise_name": name}
        for key in STATISTICS_INTEGERS:
            default = str(achievements_by_enterprise.get(name, 0)) if key == "achievements" else "0"
            checked[key] = _count(row.get(key, default) or default, number, key)
        checked["direct_benefit"] = _money(row.get("direct_benefit", "0") or "0", number)
        rows.append(checked)
    return tuple(rows)


def _count(value: str, number: int, key: str) -> str:
    if not value.strip().isdecimal():  # "³".isdigit() is True, int("³") fails
        raise InvalidInputError(
            f"第{number}行 {STATISTICS_LABELS[key]}：应为非负整数，请重新填写。"
        )
    return str(int(value))


def _money(value: str, number: int) -> str:
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0:
        raise InvalidInputError(f"第{number}行 直接效益（万元）：应为非负数，请重新填写。")
    return str(amount)
