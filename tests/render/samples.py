"""Events with boring explicit defaults, and readers for what render produces."""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docx import Document
from docx.oxml.ns import qn
from pypdf import PdfReader

from services.render.domain.tables import TableTemplate, parse_template
from shared.events import (
    ApplicationAwarded,
    CampaignForwarded,
    Contact,
    GroupMember,
    GroupRegistered,
    MemberEnterprise,
    MemberRole,
    RegisteredTopic,
    TableRequested,
    TargetKind,
    TopicType,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

TABLE_TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "services/render/table_templates"
FIXED_TIME = datetime(2023, 4, 10, 2, 0, tzinfo=UTC)
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
PAGE_FOOTER = re.compile(r"第\d+页共\d+页")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def group_registered(**overrides: Any) -> GroupRegistered:
    values: dict[str, Any] = {
        "occurred_at": FIXED_TIME,
        "group_id": "group-0001",
        "registration_number": "XZ-QC-2023-0001",
        "year": 2023,
        "unit_id": "xizang",
        "enterprise_id": "xz-power",
        "enterprise_name": "国网西藏电力有限公司拉萨供电公司",
        "group_name": "雪域先锋QC小组",
        "founded_on": "2021-05-04",
        "registered_on": "2023-03-01",
        "leader": "朗杰",
        "adviser": "卓玛",
        "activity_frequency": "每月2次",
        "members": tuple(
            GroupMember(
                name=f"队员{index:02d}",
                role=MemberRole.LEADER if index == 0 else MemberRole.MEMBER,
                gender="女" if index % 2 else "男",
                title="工程师",
                department=f"运维检修{index}班",
            )
            for index in range(7)
        ),
        "topic": RegisteredTopic(
            topic_name="降低配电网线路故障停电时长",
            registration_number="XZ-KT-2023-0042",
            topic_type=TopicType.PROBLEM_SOLVING,
            target_kind=TargetKind.DIRECTIVE,
            registered_on="2023-03-05",
            planned_start="2023-03-10",
            planned_end="2023-11-30",
        ),
    }
    return GroupRegistered(**(values | overrides))


def application_awarded(**overrides: Any) -> ApplicationAwarded:
    values: dict[str, Any] = {
        "occurred_at": FIXED_TIME,
        "application_id": uuid.UUID(int=7),
        "unit_id": "xizang",
        "enterprise_id": "xz-power",
        "revision": 1,
        "decided_by": "national-office",
        "year": 2023,
        "certificate_serial": "QC2023-00042",
        "enterprise_name": "国网西藏电力有限公司拉萨供电公司",
        "group_name": "雪域先锋QC小组",
        "topic_name": "降低配电网线路故障停电时长",
    }
    return ApplicationAwarded(**(values | overrides))


def campaign_forwarded(**overrides: Any) -> CampaignForwarded:
    values: dict[str, Any] = {
        "occurred_at": FIXED_TIME,
        "campaign_id": "2023",
        "unit_id": "xizang",
        "unit_name": "西藏自治区质量协会",
        "campaign_year": 2023,
        "national_doc_number": "中国质协字〔2023〕38号",
        "national_title": "关于开展2023年度全国质量管理小组活动推进工作的通知",
        "theme": "数字赋能 激发动能 提升效能",
        "national_deadline_at": datetime(2023, 8, 31, 15, 59, tzinfo=UTC),
        "unit_doc_number": "藏质协字（2023）6号",
        "title": "关于转发《关于开展2023年度质量管理小组活动推进工作通知》的通知",
        "body": (
            "《关于开展2023年度质量管理小组活动推进工作通知》中质协字[2023]38号文件转发给你们，"
            "请各会员单位及相关组织积极申报，现将有关事项通知如下。\n"
            "一、申报要求\n"
            "（一）不得以任何形式、任何名义向参与活动的企业和小组收取任何费用。"
        ),
        "deadline_at": datetime(2023, 6, 28, 15, 59, tzinfo=UTC),
        "unit_contacts": (Contact(name="朗杰", email="1683195601@qq.com", mobile="0891-6815193"),),
        "national_contacts": (Contact(name="张蕾", email="qc@caq.org.cn", mobile="010-68416388"),),
        "member_enterprises": (MemberEnterprise(enterprise_id="xz-power", name="拉萨供电公司"),),
    }
    return CampaignForwarded(**(values | overrides))


def table_rows(kind: str, count: int = 3) -> tuple[dict[str, str], ...]:
    if kind == "activity_statistics":
        return tuple(
            {
                "enterprise_name": f"西藏第{index}企业有限公司",
                "employees": str(1000 + index),
                "groups_cumulative": str(80 + index),
                "groups_registered": "20",
                "groups_active": "15",
                "achievements": "7",
                "participants": "150",
                "direct_benefit": "12.5",
                "trained": "30",
                "suggestions": "45",
                "promoters": "2",
            }
            for index in range(1, count + 1)
        )
    return tuple(
        {
            "enterprise_name": f"西藏第{index}企业有限公司",
            "group_name": f"攀登{index}号QC小组",
            "topic_name": f"降低第{index}车间设备故障率",
            "topic_type": "问题解决型",
            "review_method": "发表",
            "expert_scores": "88/90/86/91/85",
            "average_score": "88",
            "final_score": f"{90 - index}.5",
            "score": f"{90 - index}.5",
            "rank": str(index),
            "presented": "是",
            "conclusion": "推荐",
        }
        for index in range(1, count + 1)
    )


def table_requested(kind: str = "recommendation", **overrides: Any) -> TableRequested:
    values: dict[str, Any] = {
        "occurred_at": FIXED_TIME,
        "request_id": "req-0001",
        "table_kind": kind,
        "unit_id": "xizang",
        "unit_name": "西藏自治区质量协会",
        "campaign_year": 2023,
        "header": {
            "unit_name": "西藏自治区质量协会",
            "contact_person": "朗杰",
            "phone": "0891-6815193",
        },
        "rows": table_rows(kind),
        "footer": {"opinion": "同意推荐", "leader": "次仁", "experts": "次仁、王明、李华"},
        "requested_by": "unit-secretary",
    }
    return TableRequested(**(values | overrides))


def shipped_template(kind: str) -> TableTemplate:
    data = json.loads((TABLE_TEMPLATES_DIR / f"{kind}.json").read_text(encoding="utf-8"))
    return parse_template(kind, data)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: bytes) -> str:
    """Text of all pages, whitespace and page footers removed."""
    reader = PdfReader(io.BytesIO(pdf))
    return "".join(PAGE_FOOTER.sub("", squash(page.extract_text())) for page in reader.pages)


def pdf_pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def embedded_fonts(pdf: bytes) -> list[tuple[str, bool]]:
    """(BaseFont, has an embedded font file) of every font on every page."""
    return [
        (name, "/FontFile2" in descriptor or "/FontFile3" in descriptor)
        for page in PdfReader(io.BytesIO(pdf)).pages
        for name, descriptor in _font_descriptors(page["/Resources"])
    ]


def _font_descriptors(resources: Any) -> Iterator[tuple[str, Any]]:
    for font in resources.get("/Font", {}).values():
        font_dict = font.get_object()
        for descendant in font_dict.get("/DescendantFonts", [font_dict]):
            descriptor = descendant.get_object().get("/FontDescriptor")
            if descriptor is not None:
                yield str(font_dict["/BaseFont"]), descriptor.get_object()
    for xobject in resources.get("/XObject", {}).values():
        nested = xobject.get_object().get("/Resources")
        if nested is not None:
            yield from _font_descriptors(nested.get_object())


def docx_paragraphs(docx: bytes) -> list[str]:
    body = Document(io.BytesIO(docx)).element.body
    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p"))]


def docx_runs_without_east_asian_font(docx: bytes) -> tuple[int, list[str]]:
    """How many runs hold Chinese, and the text of those that name no w:eastAsia font."""
    runs = [
        run
        for run in Document(io.BytesIO(docx)).element.body.iter(qn("w:r"))
        if CJK.search("".join(t.text or "" for t in run.iter(qn("w:t"))))
    ]
    missing = [
        "".join(t.text or "" for t in run.iter(qn("w:t")))
        for run in runs
        if run.rPr is None
        or run.rPr.rFonts is None
        or run.rPr.rFonts.get(qn("w:eastAsia")) != "宋体"
    ]
    return len(runs), missing
