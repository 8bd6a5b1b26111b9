"""The score sheets are data: their maxima match T/CAQ 10201 附录B (forms.md §2.4)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.review.sheets import SHEETS, default_sheet_for


@pytest.mark.parametrize(
    ("sheet_id", "maxima", "total"),
    [
        (
            "problem_solving.v1",
            {"选题": 15, "原因分析": 30, "对策与实施": 20, "效果": 20, "成果报告": 5, "特点": 10},
            100,
        ),
        (
            "innovation.v1",
            {
                "选题": 20,
                "提出方案并确定最佳方案": 30,
                "对策与实施": 20,
                "效果": 15,
                "成果报告": 5,
                "特点": 10,
            },
            100,
        ),
        (
            "on_site.v1",
            {
                "质量管理小组活动的组织": 10,
                "活动情况与活动记录": 30,
                "活动真实性与有效性": 30,
                "成果的维持与巩固": 20,
                "质量管理小组教育": 10,
            },
            100,
        ),
        (
            "presentation.v1",
            {"逻辑性": 6, "专业性": 6, "发布形式": 4, "表达": 4, "回答问题": 4, "成员/时间": 4},
            28,
        ),
    ],
)
def test_sheet_maxima(sheet_id: str, maxima: dict[str, int], total: int):
    sheet = SHEETS[sheet_id]
    assert {c.label: int(c.maximum) for c in sheet.criteria} == maxima
    assert sheet.maximum == Decimal(total)


@pytest.mark.parametrize(
    ("topic_type", "sheet_id"), [("问题解决型", "problem_solving.v1"), ("创新型", "innovation.v1")]
)
def test_each_topic_type_has_its_evaluation_sheet(topic_type: str, sheet_id: str):
    assert default_sheet_for(topic_type).sheet_id == sheet_id
