"""Table templates as data: validation of uploads, formats and the computed rates."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from services.render.domain.errors import CellValueError, TemplateInvalidError
from services.render.domain.tables import (
    TABLE_KINDS,
    fill_table,
    parse_template,
    rate,
    template_to_data,
)
from tests.render.samples import TABLE_TEMPLATES_DIR, shipped_template, table_rows


def shipped_data(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TABLE_TEMPLATES_DIR / f"{kind}.json").read_text("utf-8"))
    return data


@pytest.mark.parametrize("kind", TABLE_KINDS)
def test_shipped_template_round_trips_through_its_data(kind: str) -> None:
    template = shipped_template(kind)

    assert parse_template(kind, template_to_data(template)) == template


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        ("7", "20", "35.00%"),
        ("1", "3", "33.33%"),
        ("2", "3", "66.67%"),
        ("0", "20", "0.00%"),
        ("5", "0", ""),
        ("150", "1001", "14.99%"),
    ],
)
def test_rate_is_a_rounded_percentage_and_empty_without_denominator(
    numerator: str, denominator: str, expected: str
) -> None:
    assert rate(Decimal(numerator), Decimal(denominator)) == expected


def test_statistics_rates_are_computed_from_the_row_not_typed_in() -> None:
    template = shipped_template("activity_statistics")
    row = table_rows("activity_statistics", 1)[0] | {"achievement_rate": "99%"}

    filled = fill_table(template, unit_name="西藏", year=2023, header={}, rows=(row,), footer={})

    cells = dict(zip((c.key for c in template.columns), filled.rows[0], strict=True))
    assert cells["achievement_rate"] == "35.00%"  # 7 / 20
    assert cells["activity_rate"] == "75.00%"  # 15 / 20
    assert cells["penetration_rate"] == "14.99%"  # 150 / 1001
    assert cells["direct_benefit"] == "12.50"
    assert cells["seq"] == "1"


def test_title_takes_year_and_unit_name_but_nothing_else() -> None:
    data = shipped_data("recommendation") | {"title": "{unit_name}{year}年{__class__}推荐表"}
    template = parse_template("recommendation", data)

    filled = fill_table(template, unit_name="西藏质协", year=2024, header={}, rows=(), footer={})

    assert filled.title == "西藏质协2024年{__class__}推荐表"


@pytest.mark.parametrize(
    ("column", "value"),
    [("score", "八十八"), ("rank", "1.5"), ("score", "NaN"), ("rank", "Infinity")],
)
def test_value_that_does_not_fit_its_column_names_row_and_column(column: str, value: str) -> None:
    template = shipped_template("recommendation")
    rows = (*table_rows("recommendation", 2), {"enterprise_name": "甲公司", column: value})

    with pytest.raises(CellValueError) as raised:
        fill_table(template, unit_name="西藏", year=2023, header={}, rows=rows, footer={})

    header = next(c.header for c in template.columns if c.key == column)
    assert "第3行" in raised.value.message
    assert header in raised.value.message


def _broken(kind: str, change: Any) -> dict[str, Any]:
    data = copy.deepcopy(shipped_data(kind))
    change(data)
    return data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], "JSON 对象"),
        (_broken("recommendation", lambda d: d.pop("title")), "title（标题）"),
        (_broken("recommendation", lambda d: d.update(columns=[])), "1 到 30 栏"),
        (
            _broken("recommendation", lambda d: d["columns"][1].update(width=0)),
            "columns 第2栏的 width",
        ),
        (
            _broken("recommendation", lambda d: d["columns"][2].update(format="money")),
            "columns 第3栏的 format",
        ),
        (
            _broken("recommendation", lambda d: d["columns"][0].update(key="序号")),
            "columns 第1栏的 key",
        ),
        (
            _broken("recommendation", lambda d: d["columns"][1].update(key="seq")),
            "key 重复：seq",
        ),
        (
            _broken("activity_statistics", lambda d: d["columns"][9].update(ratio=["a"])),
            "ratio",
        ),
        (_broken("recommendation", lambda d: d.update(orientation="sideways")), "orientation"),
        (
            _broken("recommendation", lambda d: d["header_fields"].append({"key": "x"})),
            "header_fields（表头栏目）第4项的 label",
        ),
    ],
)
def test_invalid_template_is_refused_naming_the_field(data: object, expected: str) -> None:
    with pytest.raises(TemplateInvalidError) as raised:
        parse_template("recommendation", data)

    assert expected in raised.value.message
    assert raised.value.status_code == 422


def test_unknown_table_kind_is_refused() -> None:
    with pytest.raises(TemplateInvalidError) as raised:
        parse_template("invoice", shipped_data("recommendation"))

    assert "invoice" in raised.value.message


def test_statistics_total_row_sums_numbers_and_recomputes_rates_from_the_sums() -> None:
    template = shipped_template("activity_statistics")
    rows = (
        {
            "enterprise_name": "甲",
            "employees": "1000",
            "groups_registered": "10",
            "achievements": "1",
        },
        {
            "enterprise_name": "乙",
            "employees": "3",
            "groups_registered": "30",
            "achievements": "29",
        },
    )

    filled = fill_table(template, unit_name="西藏", year=2023, header={}, rows=rows, footer={})

    total = dict(zip((c.key for c in template.columns), filled.rows[-1], strict=True))
    assert len(filled.rows) == 3
    assert (total["seq"], total["enterprise_name"]) == ("", "合计")
    assert (total["employees"], total["groups_registered"], total["achievements"]) == (
        "1003",
        "40",
        "30",
    )
    assert total["achievement_rate"] == "75.00%"  # 30 / 40, not the mean of 10% and 96.67%
    assert total["direct_benefit"] == "0.00"


def test_table_without_total_label_has_only_the_request_rows() -> None:
    template = shipped_template("recommendation")

    filled = fill_table(
        template,
        unit_name="西藏",
        year=2023,
        header={},
        rows=table_rows("recommendation", 4),
        footer={},
    )

    assert [row[0] for row in filled.rows] == ["1", "2", "3", "4"]
