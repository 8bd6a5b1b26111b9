"""活动统计表: rates computed with Decimal, inconsistencies refused naming the fields."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.review.domain.errors import InvalidInputError
from services.review.domain.package_statistics import (
    KnownFigures,
    differences,
    ensure_consistent,
    rate,
    rates_of,
    totals_of,
)


def figures(**overrides: str) -> dict[str, str]:
    row = {
        "enterprise_name": "西藏天路股份有限公司",
        "employees": "1200",
        "groups_cumulative": "300",
        "groups_registered": "45",
        "groups_active": "40",
        "achievements": "31",
        "participants": "390",
        "direct_benefit": "125.5",
        "trained": "150",
        "suggestions": "800",
        "promoters": "6",
    }
    row.update(overrides)
    return row


def test_rates_are_percentages_rounded_half_up_to_two_places():
    assert rate(1, 3) == Decimal("33.33")
    assert rate(2, 3) == Decimal("66.67")
    assert rate(1, 8) == Decimal("12.50")
    assert rate(5, 0) is None
    assert rates_of(figures()) == {
        "achievement_rate": "68.89%",
        "activity_rate": "88.89%",
        "penetration_rate": "32.50%",
    }


def test_rates_with_a_zero_denominator_are_left_blank():
    assert rates_of(figures(groups_registered="0", groups_active="0", achievements="0")) == {
        "achievement_rate": "",
        "activity_rate": "",
        "penetration_rate": "32.50%",
    }


def test_totals_add_every_row_and_count_the_enterprises():
    totals = totals_of([figures(), figures(enterprise_name="拉萨供电公司", direct_benefit="0.25")])
    assert totals["employees"] == "2400"
    assert totals["direct_benefit"] == "125.75"
    assert totals["enterprises"] == "2"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"groups_active": "46"}, "本年度开展活动QC小组数 46 不能大于 本年度注册QC小组数 45"),
        (
            {"groups_registered": "301", "groups_active": "10", "achievements": "5"},
            "历年累计注册QC小组数",
        ),
        ({"achievements": "41"}, "当年取得成果数 41 不能大于 本年度开展活动QC小组数 40"),
        ({"participants": "1201"}, "参加QC小组人数 1201 不能大于 企业职工总数 1200"),
    ],
)
def test_inconsistent_figures_are_refused_naming_the_row_and_fields(
    overrides: dict[str, str], named: str
):
    with pytest.raises(InvalidInputError) as refused:
        ensure_consistent([figures(), figures(enterprise_name="拉萨供电公司", **overrides)])
    assert "第2行（拉萨供电公司）" in refused.value.message
    assert named in refused.value.message


def test_consistent_figures_pass_and_duplicates_are_refused():
    ensure_consistent([figures()])
    with pytest.raises(InvalidInputError, match="重复"):
        ensure_consistent([figures(), figures()])


def test_differences_with_known_figures_are_warnings():
    known = KnownFigures(
        entries_by_enterprise={"西藏天路股份有限公司": 40, "拉萨供电公司": 2},
        entries_recommended=35,
    )
    warnings = differences([figures()], known)
    assert any("少于该单位本年度在 qcflow 申报的成果数 40" in w for w in warnings)
    assert any("拉萨供电公司" in w and "没有该单位" in w for w in warnings)
    assert any("少于本单位已向全国推荐的成果数 35" in w for w in warnings)
    assert differences([figures()], KnownFigures({"西藏天路股份有限公司": 3}, 1)) == []
