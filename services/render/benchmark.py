"""Warm per-document render times: ``python -m services.render.benchmark [--repeat N] [--json F]``.

Measures the renderers alone (no broker, database or storage), each document rendered once to
warm the caches, then N times; prints the median and writes the figures as JSON if asked.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from services.render.domain.tables import TABLE_KINDS, fill_table, parse_template
from services.render.renderers.bundle import Format, Renderers
from services.render.renderers.docx import render_application_form_docx
from services.render.renderers.pdf import PdfRenderer
from shared.events import (
    ApplicationAwarded,
    ApplicationForm,
    CampaignForwarded,
    Contact,
    GroupMember,
    GroupRegistered,
    MemberRole,
    RegisteredTopic,
    TopicType,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from services.render.domain.tables import FilledTable

FORMATS: tuple[Format, ...] = ("pdf", "docx", "xlsx")
TEMPLATES_DIR = Path(__file__).resolve().parent / "table_templates"
MEMBERS = tuple(
    GroupMember(name=f"成员{index}", role=MemberRole.MEMBER, title="工程师", department="质量部")
    for index in range(8)
)


def _form() -> ApplicationForm:
    return ApplicationForm(
        recommending_unit_name="西藏自治区质量协会",
        enterprise_name="国网西藏电力有限公司拉萨供电公司",
        group_name="雪域先锋QC小组",
        topic_name="降低配电网线路故障停电时长",
        topic_type=TopicType.PROBLEM_SOLVING,
        address="西藏自治区拉萨市城关区罗布林卡路21号",
        postal_code="850000",
        contact_department="运维检修部",
        contact_person="朗杰",
        mobile="13908901234",
        members=MEMBERS,
        summary="小组围绕配电网故障停电时长开展活动，平均停电时长由112分钟降至46分钟。" * 10,
    )


def _group() -> GroupRegistered:
    return GroupRegistered(
        group_id="g-bench",
        registration_number="XZ-QC-2023-0001",
        year=2023,
        unit_id="xizang",
        enterprise_id="e1",
        enterprise_name="国网西藏电力有限公司拉萨供电公司",
        group_name="雪域先锋QC小组",
        registered_on="2023-03-01",
        leader="朗杰",
        members=MEMBERS,
        topic=RegisteredTopic(
            topic_name="降低配电网线路故障停电时长",
            registration_number="XZ-KT-2023-0042",
            topic_type=TopicType.INNOVATION,
            registered_on="2023-03-05",
        ),
    )


def _award() -> ApplicationAwarded:
    return ApplicationAwarded(
        application_id=uuid.UUID(int=1),
        unit_id="xizang",
        enterprise_id="e1",
        revision=1,
        decided_by="n",
        year=2023,
        certificate_serial="QC2023-00001",
        enterprise_name="国网西藏电力有限公司拉萨供电公司",
        group_name="雪域先锋QC小组",
        topic_name="降低配电网线路故障停电时长",
    )


def _notice() -> CampaignForwarded:
    deadline = datetime(2023, 6, 28, 15, 59, tzinfo=UTC)
    return CampaignForwarded(
        unit_id="xizang",
        unit_name="西藏自治区质量协会",
        campaign_year=2023,
        national_doc_number="中国质协字〔2023〕38号",
        national_title="关于开展2023年度全国质量管理小组活动推进工作的通知",
        theme="数字赋能 激发动能 提升效能",
        national_deadline_at=deadline,
        unit_doc_number="藏质协字（2023）6号",
        title="关于转发《关于开展2023年度质量管理小组活动推进工作通知》的通知",
        body="请各会员单位及相关组织积极申报，现将有关事项通知如下。\n" * 12,
        deadline_at=deadline,
        unit_contacts=(Contact(name="朗杰", email="a@example.com", mobile="0891-6815193"),),
        member_enterprises=(),
    )


def _table(kind: str) -> FilledTable:
    template = parse_template(
        kind, json.loads((TEMPLATES_DIR / f"{kind}.json").read_text(encoding="utf-8"))
    )
    row = {
        "enterprise_name": "西藏某企业有限公司",
        "group_name": "攀登QC小组",
        "topic_name": "降低设备故障率",
        "score": "88.5",
        "rank": "1",
        "average_score": "88",
        "final_score": "88.5",
        "employees": "1000",
        "groups_registered": "20",
        "groups_active": "15",
        "achievements": "7",
        "participants": "150",
    }
    return fill_table(
        template, unit_name="西藏自治区质量协会", year=2023, header={}, rows=(row,) * 20, footer={}
    )


def cases(renderers: Renderers) -> dict[str, Callable[[], object]]:
    form, group, award, notice = _form(), _group(), _award(), _notice()
    found: dict[str, Callable[[], object]] = {
        "application_form.pdf": lambda: renderers.pdf.render_application_form(form),
        "application_form.docx": lambda: render_application_form_docx(form),
        "registration_form.pdf+docx": lambda: renderers.registration_form(group),
        "certificate.pdf": lambda: renderers.certificate(award),
        "forwarded_notice.pdf": lambda: renderers.forwarded_notice(notice),
    }
    for kind in TABLE_KINDS:
        table = _table(kind)
        for file_format in FORMATS:
            formats: tuple[Format, ...] = (file_format,)
            found[f"{kind}.{file_format}"] = partial(renderers.table, table, formats)
    return found


def measure(render: Callable[[], object], repeat: int) -> float:
    render()  # warm: fonts, templates and stylesheets are cached after the first document
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        render()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description="render: warm per-document times")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--json", type=Path, default=None)
    arguments = parser.parse_args()
    renderers = Renderers(pdf=PdfRenderer())
    figures = {name: measure(render, arguments.repeat) for name, render in cases(renderers).items()}
    for name, seconds in figures.items():
        print(f"{name:32} {seconds * 1000:8.1f} ms")  # noqa: T201 - a command-line report
    if arguments.json is not None:
        arguments.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
