"""Score validation and aggregation, without infrastructure."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

import pytest

from services.review.domain.errors import InvalidInputError
from services.review.domain.scoring import (
    AggregationRule,
    aggregate,
    checked_comments,
    checked_marks,
    ranked,
    sheet_total,
)
from services.review.sheets import SHEETS

D = Decimal
TRIMMED = AggregationRule.TRIMMED_MEAN
MEAN = AggregationRule.MEAN


@pytest.mark.parametrize(
    ("totals", "rule", "expected", "method"),
    [
        (["80"], TRIMMED, "80.00", "mean"),
        (["80", "90"], TRIMMED, "85.00", "mean"),
        (["80", "81", "81"], TRIMMED, "80.67", "mean"),
        (["70", "80", "90", "100"], TRIMMED, "85.00", "mean"),
        (["60", "80", "85", "90", "99"], TRIMMED, "85.00", "trimmed_mean"),
        (["60", "80", "85", "90", "99"], MEAN, "82.80", "mean"),
        (["80", "80", "80", "80", "80", "80"], TRIMMED, "80.00", "trimmed_mean"),
        (["10", "85.5", "86", "86.25", "100"], TRIMMED, "85.92", "trimmed_mean"),
        (["0.005", "0"], MEAN, "0.00", "mean"),  # 0.0025 rounds down
        (["0.01", "0"], MEAN, "0.01", "mean"),  # 0.005 rounds half up
        (["82.335", "82.335"], MEAN, "82.34", "mean"),
    ],
)
def test_aggregate_rules(totals: list[str], rule: AggregationRule, expected: str, method: str):
    result = aggregate([D(t) for t in totals], rule, spread_threshold=D(100))
    assert (str(result.final_score), result.method, result.score_count) == (
        expected,
        method,
        len(totals),
    )


def test_aggregate_without_scores_is_refused():
    with pytest.raises(InvalidInputError, match="尚无有效评分"):
        aggregate([], TRIMMED, D(10))


@pytest.mark.parametrize(
    ("totals", "threshold", "alert"),
    [(["80", "90"], "10", False), (["80", "90.5"], "10", True), (["85"], "0", False)],
)
def test_spread_alert_above_threshold(totals: list[str], threshold: str, alert: bool):
    result = aggregate([D(t) for t in totals], MEAN, D(threshold))
    assert result.is_spread_alert is alert


def reference_trimmed_mean(totals: list[Decimal]) -> Decimal:
    ordered = sorted(totals)
    kept = ordered[1:-1] if len(ordered) >= 5 else ordered
    exact = sum(kept, D(0)) / len(kept)
    return exact.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("seed", range(300))
def test_trimmed_mean_properties_over_random_inputs(seed: int):
    rng = random.Random(seed)  # noqa: S311 - reproducible test inputs, not cryptography
    totals = [D(rng.randint(0, 10000)) / 100 for _ in range(rng.randint(1, 12))]

    result = aggregate(totals, TRIMMED, D(15))
    shuffled = totals[:]
    rng.shuffle(shuffled)

    assert result.final_score == reference_trimmed_mean(totals)
    assert min(totals) - D("0.01") <= result.final_score <= max(totals) + D("0.01")
    assert aggregate(shuffled, TRIMMED, D(15)).final_score == result.final_score
    assert result.final_score.as_tuple().exponent == -2
    assert result.method == ("trimmed_mean" if len(totals) >= 5 else "mean")
    assert result.is_spread_alert is (max(totals) - min(totals) > 15)


@pytest.mark.parametrize("seed", range(100))
def test_one_outlier_cannot_move_a_trimmed_mean_of_equal_scores(seed: int):
    rng = random.Random(seed)  # noqa: S311 - reproducible test inputs, not cryptography
    common = D(rng.randint(0, 100))
    totals = [common] * rng.randint(4, 10) + [D(rng.randint(0, 100))]
    assert aggregate(totals, TRIMMED, D(100)).final_score == common.quantize(D("0.01"))


PROBLEM_SOLVING = SHEETS["problem_solving.v1"]
FULL_MARKS = {c.code: str(c.maximum) for c in PROBLEM_SOLVING.criteria}


def test_full_marks_total_one_hundred():
    assert sheet_total(checked_marks(PROBLEM_SOLVING, FULL_MARKS)) == D("100.00")


@pytest.mark.parametrize(
    ("criterion", "mark", "message"),
    [
        ("cause_analysis", "31", "评分项“原因分析”：31 超出范围，请填写 0–30"),
        ("topic_selection", "-1", "评分项“选题”：-1 超出范围"),
        ("report", "abc", "评分项“成果报告”：不是有效数字"),
        ("report", "NaN", "评分项“成果报告”：不是有效数字"),
        ("report", " ", "评分项“成果报告”：必填，请打分"),
        ("effect", "12.345", "评分项“效果”：最多保留两位小数"),
    ],
)
def test_marks_out_of_range_name_the_criterion(criterion: str, mark: str, message: str):
    with pytest.raises(InvalidInputError, match=message):
        checked_marks(PROBLEM_SOLVING, {**FULL_MARKS, criterion: mark})


def test_missing_and_unknown_criteria_are_refused():
    without_effect = {k: v for k, v in FULL_MARKS.items() if k != "effect"}
    with pytest.raises(InvalidInputError, match="评分项“效果”：必填"):
        checked_marks(PROBLEM_SOLVING, without_effect)
    with pytest.raises(InvalidInputError, match="best_plan 不在《问题解决型课题成果评价表》中"):
        checked_marks(PROBLEM_SOLVING, {**FULL_MARKS, "best_plan": "1"})


def test_comments_belong_to_the_sheet():
    kept = checked_comments(
        PROBLEM_SOLVING, {"effect": " 效益翔实 ", "report": " ", "overall": "好"}
    )
    assert kept == {"effect": "效益翔实", "overall": "好"}
    with pytest.raises(InvalidInputError, match="评语：best_plan 不在"):
        checked_comments(PROBLEM_SOLVING, {"best_plan": "x"})
    with pytest.raises(InvalidInputError, match="最多 2000 个字符"):
        checked_comments(PROBLEM_SOLVING, {"effect": "长" * 2001})


def test_ranking_shares_ranks_on_ties():
    assert ranked({"a": D("90"), "b": D("95"), "c": D("90"), "d": D("80")}) == {
        "b": 1,
        "a": 2,
        "c": 2,
        "d": 4,
    }
