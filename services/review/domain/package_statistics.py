"""活动统计表 figures: consistency checks, computed rates and differences with known figures.

Rates are never typed: 成果率 = 成果数 ÷ 注册小组数, 活动率 = 活动小组数 ÷ 注册小组数,
普及率 = 参加人数 ÷ 职工总数, each × 100 %, Decimal rounded half up to two places.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from services.review.domain.errors import InvalidInputError
from services.review.domain.tables import STATISTICS_INTEGERS, STATISTICS_LABELS

TWO_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)

# (smaller, larger): the smaller figure may never exceed the larger one.
NOT_MORE_THAN = (
    ("groups_active", "groups_registered"),
    ("groups_registered", "groups_cumulative"),
    ("achievements", "groups_active"),
    ("participants", "employees"),
    ("trained", "employees"),
    ("promoters", "employees"),
)
RATES = {
    "achievement_rate": ("achievements", "groups_registered"),
    "activity_rate": ("groups_active", "groups_registered"),
    "penetration_rate": ("participants", "employees"),
}
RATE_LABELS = {
    "achievement_rate": "成果率",
    "activity_rate": "活动率",
    "penetration_rate": "普及率",
}


@dataclass(frozen=True)
class KnownFigures:
    """What review already knows for the unit this campaign."""

    entries_by_enterprise: Mapping[str, int]
    entries_recommended: int

    @property
    def entries_submitted(self) -> int:
        return sum(self.entries_by_enterprise.values())


def rate(numerator: int, denominator: int) -> Decimal | None:
    """A percentage with two places, or None when the denominator is zero."""
    if denominator == 0:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(
        TWO_PLACES, rounding=ROUND_HALF_UP
    )


def rates_of(figures: Mapping[str, str]) -> dict[str, str]:
    computed = {}
    for key, (numerator, denominator) in RATES.items():
        value = rate(int(figures[numerator]), int(figures[denominator]))
        computed[key] = "" if value is None else f"{value}%"
    return computed


def totals_of(rows: Sequence[Mapping[str, str]]) -> dict[str, str]:
    totals = {key: str(sum(int(r[key]) for r in rows)) for key in STATISTICS_INTEGERS}
    totals["direct_benefit"] = str(sum((Decimal(r["direct_benefit"]) for r in rows), Decimal(0)))
    totals["enterprises"] = str(len(rows))
    return totals


def ensure_consistent(rows: Sequence[Mapping[str, str]]) -> None:
    """Every inconsistency of every row, in one message naming the row and the fields."""
    problems = [
        f"第{number}行（{row['enterprise_name']}）{STATISTICS_LABELS[small]} {row[small]} "
        f"不能大于 {STATISTICS_LABELS[large]} {row[large]}"
        for number, row in enumerate(rows, start=1)
        for small, large in NOT_MORE_THAN
        if int(row[small]) > int(row[large])
    ]
    names = [row["enterprise_name"] for row in rows]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    problems += [f"单位名称「{name}」重复填写了多行" for name in duplicates]
    if problems:
        raise InvalidInputError(
            "活动统计数据不一致：" + "；".join(problems) + "。请核对后重新填写。"
        )


def differences(rows: Sequence[Mapping[str, str]], known: KnownFigures) -> list[str]:
    """Warnings where the typed figures disagree with what qcflow knows (not refusals)."""
    warnings = []
    for number, row in enumerate(rows, start=1):
        seen = known.entries_by_enterprise.get(row["enterprise_name"], 0)
        if int(row["achievements"]) < seen:
            warnings.append(
                f"第{number}行（{row['enterprise_name']}）"
                f"当年取得成果数填写 {row['achievements']}，"
                f"少于该单位本年度在 qcflow 申报的成果数 {seen}。"
            )
    typed = {row["enterprise_name"] for row in rows}
    for name, seen in sorted(known.entries_by_enterprise.items()):
        if name not in typed:
            warnings.append(f"{name}本年度在 qcflow 申报了 {seen} 项成果，但统计表中没有该单位。")
    total = sum(int(row["achievements"]) for row in rows)
    if total < known.entries_recommended:
        warnings.append(
            f"当年取得成果数合计 {total}，"
            f"少于本单位已向全国推荐的成果数 {known.entries_recommended}。"
        )
    return warnings
