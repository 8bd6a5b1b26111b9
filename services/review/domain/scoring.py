"""Score sheets, per-criterion validation and aggregation per review round."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from services.review.domain.errors import InvalidInputError

TWO_PLACES = Decimal("0.01")
TRIM_MINIMUM = 5


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    maximum: Decimal


@dataclass(frozen=True)
class ScoreSheet:
    sheet_id: str
    title: str
    version: int
    topic_types: tuple[str, ...]
    criteria: tuple[Criterion, ...]

    @property
    def maximum(self) -> Decimal:
        return sum((c.maximum for c in self.criteria), Decimal(0))


def sheet_from_data(data: Mapping[str, Any]) -> ScoreSheet:
    return ScoreSheet(
        sheet_id=str(data["sheet_id"]),
        title=str(data["title"]),
        version=int(data["version"]),
        topic_types=tuple(data.get("topic_types", ())),
        criteria=tuple(
            Criterion(str(c["code"]), str(c["label"]), Decimal(str(c["max"])))
            for c in data["criteria"]
        ),
    )


def _as_mark(criterion: Criterion, raw: object) -> Decimal:
    if raw is None or str(raw).strip() == "":
        raise InvalidInputError(f"评分项“{criterion.label}”：必填，请打分。")
    try:
        mark = Decimal(str(raw))
    except InvalidOperation:
        mark = Decimal("NaN")
    if not mark.is_finite():
        raise InvalidInputError(
            f"评分项“{criterion.label}”：不是有效数字，请填写 0–{criterion.maximum} 之间的分数。"
        )
    if mark < 0 or mark > criterion.maximum:
        raise InvalidInputError(
            f"评分项“{criterion.label}”：{mark} 超出范围，请填写 0–{criterion.maximum} 之间的分数。"
        )
    if mark != mark.quantize(TWO_PLACES):
        raise InvalidInputError(f"评分项“{criterion.label}”：最多保留两位小数。")
    return mark


def checked_marks(sheet: ScoreSheet, marks: Mapping[str, object]) -> dict[str, Decimal]:
    """Every criterion of the sheet marked, none unknown, each within its maximum."""
    known = {c.code for c in sheet.criteria}
    unknown = sorted(set(marks) - known)
    if unknown:
        raise InvalidInputError(f"评分项：{'、'.join(unknown)} 不在《{sheet.title}》中，请删除。")
    missing = [c.label for c in sheet.criteria if c.code not in marks]
    if missing:
        raise InvalidInputError(f"评分项“{'、'.join(missing)}”：必填，请打分。")
    return {c.code: _as_mark(c, marks[c.code]) for c in sheet.criteria}


OVERALL_COMMENT = "overall"
MAX_COMMENT = 2000


def checked_comments(sheet: ScoreSheet, comments: Mapping[str, str]) -> dict[str, str]:
    """Comments per criterion (or `overall`); blank ones dropped."""
    known = {c.code for c in sheet.criteria} | {OVERALL_COMMENT}
    unknown = sorted(set(comments) - known)
    if unknown:
        raise InvalidInputError(f"评语：{'、'.join(unknown)} 不在《{sheet.title}》中，请删除。")
    if any(len(text) > MAX_COMMENT for text in comments.values()):
        raise InvalidInputError(f"评语：每条最多 {MAX_COMMENT} 个字符。")
    return {code: text.strip() for code, text in comments.items() if text.strip()}


def sheet_total(marks: Mapping[str, Decimal]) -> Decimal:
    return sum(marks.values(), Decimal(0)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


class AggregationRule(StrEnum):
    MEAN = "mean"
    TRIMMED_MEAN = "trimmed_mean"  # drop one highest and one lowest when there are ≥5 scores


@dataclass(frozen=True)
class Aggregate:
    final_score: Decimal
    score_count: int
    method: str  # the method actually applied: "mean" or "trimmed_mean"
    spread: Decimal
    is_spread_alert: bool


def aggregate(
    totals: Sequence[Decimal], rule: AggregationRule, spread_threshold: Decimal
) -> Aggregate:
    """Combine reviewers' totals (recused reviewers are not passed in); two decimals, half up."""
    if not totals:
        raise InvalidInputError("评分汇总：尚无有效评分，请等待评审专家完成评分。")
    ordered = sorted(totals)
    used = ordered
    method = AggregationRule.MEAN
    if rule is AggregationRule.TRIMMED_MEAN and len(ordered) >= TRIM_MINIMUM:
        used = ordered[1:-1]
        method = AggregationRule.TRIMMED_MEAN
    mean = sum(used, Decimal(0)) / Decimal(len(used))
    spread = ordered[-1] - ordered[0]
    return Aggregate(
        final_score=mean.quantize(TWO_PLACES, rounding=ROUND_HALF_UP),
        score_count=len(totals),
        method=method.value,
        spread=spread,
        is_spread_alert=spread > spread_threshold,
    )


def ranked(scores: Mapping[str, Decimal]) -> dict[str, int]:
    """Competition ranking (1, 2, 2, 4) by descending score."""
    ordered = sorted(scores.values(), reverse=True)
    return {key: ordered.index(score) + 1 for key, score in scores.items()}
