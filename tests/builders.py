"""Plain builders with boring explicit defaults."""

from __future__ import annotations

import io
import uuid
from typing import Any

from docx import Document


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def application_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "enterprise_name": "国网西藏电力有限公司拉萨供电公司",
        "group_name": "雪域先锋QC小组",
        "topic_name": "降低配电网线路故障停电时长",
        "topic_type": "问题解决型",
        "target_kind": "自定目标",
        "address": "西藏自治区拉萨市城关区罗布林卡路21号",
        "postal_code": "850000",
        "contact_department": "运维检修部",
        "contact_person": "朗杰",
        "mobile": "13908901234",
        "members": [
            {
                "name": "朗杰",
                "role": "组长",
                "gender": "男",
                "title": "高级工程师",
                "department": "运维检修部",
            },
            {
                "name": "仁青平措",
                "role": "成员",
                "gender": "男",
                "title": "工程师",
                "department": "调控中心",
            },
            {
                "name": "卓玛",
                "role": "顾问",
                "gender": "女",
                "title": "正高级工程师",
                "department": "总工办",
            },
        ],
        "summary": "小组成立于2021年，围绕配电网故障停电时长开展现状调查、原因分析和对策实施，"
        "故障平均停电时长由112分钟降至46分钟。",
    }
    form.update(overrides)
    return form


def docx_bytes(text: str = "成果报告") -> bytes:
    document = Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
