"""The unit's package to the national office, on real PostgreSQL, RabbitMQ and S3.

A unit completes its four parts and submits; the national office returns it, the unit
resubmits, the office accepts. Every refusal changes nothing and says why in Chinese.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

import docx
import httpx
import pytest
import weasyprint
from pypdf import PdfWriter
from sqlalchemy import select

from services.review import package_uploads
from services.review.domain.package_documents import summary_outline, version_code
from services.review.models import AuditRecord
from shared.events import Contact, DocumentRendered, RenderedFile
from tests.builders import unique
from tests.review.integration.chain import Unit, scored_entry
from tests.review.integration.conftest import ReviewService
from tests.review.support import ReviewClient, campaign_forwarded, in_days, outbox_payloads

CONTACT = Contact(name="次仁", email="cieren@xzqa.example.cn", user_id="xz-secretary")


@dataclass
class PackageUnit:
    unit: Unit
    unit_name: str
    path: str
    recommendation_sha256: str = ""

    @property
    def secretary(self) -> ReviewClient:
        return self.unit.secretary

    @property
    def code(self) -> str:
        return version_code(self.recommendation_sha256)


async def forwarded(review: ReviewService, *, national_deadline_days: float = 30) -> PackageUnit:
    unit_id = unique("unit")
    unit_name = f"{unit_id}质量协会"
    event = campaign_forwarded(
        unit_id=unit_id,
        unit_name=unit_name,
        deadline_at=in_days(min(5, national_deadline_days - 1)),
        national_deadline_at=in_days(national_deadline_days),
    ).model_copy(update={"unit_contacts": (CONTACT,)})
    await review.deliver(event)
    path = f"/api/units/{unit_id}/campaigns/2023/package"
    return PackageUnit(Unit(unit_id, review.people.secretary(unit_id), "2023"), unit_name, path)


async def recommending(review: ReviewService) -> PackageUnit:
    """A unit that has scored two entries and recommended the best one."""
    package = await forwarded(review)
    quota = await review.people.national().put(
        f"/api/units/{package.unit.unit_id}/campaigns/2023/quota", {"quota": 1}
    )
    assert quota.status_code == 200, quota.text
    best = await scored_entry(review, package.unit, "ent-a", ["88", "90"])
    await scored_entry(review, package.unit, "ent-b", ["70", "72"])
    response = await package.secretary.post(
        "/api/recommendations", {"application_ids": [str(best)]}
    )
    assert response.status_code == 200, response.text
    return package


def blank_pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def text_pdf(*pages: str) -> bytes:
    """A scan as an OCR-ing scanner makes it: one page per text, with a text layer."""
    body = "".join(
        f'<p style="page-break-before:{"always" if n else "auto"}">{text}</p>'
        for n, text in enumerate(pages)
    )
    return weasyprint.HTML(string=f"<html><body>{body}</body></html>").write_pdf() or b""


def summary_docx(headings: list[str]) -> bytes:
    document = docx.Document()
    for heading in headings:
        document.add_heading(heading, level=1)
        document.add_paragraph("本年度……")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def rendered(
    review: ReviewService, package: PackageUnit, kind: str, pdf: bytes, **body: Any
) -> str:
    """Request one of the unit's tables and play render's answer with a real stored PDF."""
    response = await package.secretary.post(
        "/api/tables", {"table_kind": kind, "campaign_id": "2023", **body}
    )
    assert response.status_code == 202, response.text
    request_id: str = response.json()["request_id"]
    await deliver_rendered(review, package, kind, request_id, pdf)
    return request_id


async def deliver_rendered(
    review: ReviewService, package: PackageUnit, kind: str, request_id: str, pdf: bytes
) -> str:
    key = f"tables/{request_id}.pdf"
    await review.runtime.store.put_bytes(key, pdf, content_type="application/pdf")
    sha256 = hashlib.sha256(pdf).hexdigest()
    await review.deliver(
        DocumentRendered(
            campaign_id="2023",
            subject_type="unit_table",
            subject_id=request_id,
            request_id=request_id,
            unit_id=package.unit.unit_id,
            document_kind=kind,
            revision=1,
            template_version=f"{kind}/v1",
            files=(
                RenderedFile(
                    format="pdf",
                    storage_key=key,
                    sha256=sha256,
                    size=len(pdf),
                    content_type="application/pdf",
                ),
            ),
        )
    )
    if kind == "recommendation":
        package.recommendation_sha256 = sha256
    return sha256


async def upload(
    client: ReviewClient, path: str, data: bytes, filename: str = "upload.bin"
) -> httpx.Response:
    return await client.http.post(
        path,
        headers={**client.headers, "Content-Type": "application/octet-stream"},
        params={"filename": filename},
        content=data,
    )


def statistics_rows(names: list[str]) -> list[dict[str, str]]:
    return [
        {
            "enterprise_name": name,
            "employees": "800",
            "groups_cumulative": "120",
            "groups_registered": "30",
            "groups_active": "24",
            "achievements": "12",
            "participants": "260",
            "direct_benefit": "88.5",
            "trained": "90",
            "suggestions": "300",
            "promoters": "3",
        }
        for name in names
    ]


async def enter_statistics(review: ReviewService, package: PackageUnit) -> dict[str, Any]:
    known = (await package.secretary.get(package.path + "/statistics/known")).json()
    response = await package.secretary.put(
        package.path + "/statistics",
        {"rows": statistics_rows(sorted(known["entries_by_enterprise"])), "filled_by": "次仁"},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    await deliver_rendered(
        review, package, "activity_statistics", result["table_request_id"], blank_pdf(1)
    )
    return result


async def complete_parts(review: ReviewService, package: PackageUnit) -> None:
    await rendered(review, package, "recommendation", text_pdf(package.unit_name, "第二页"))
    scan = text_pdf(f"{package.unit_name} 版本码 {package.code}（已盖章）", "第二页")
    response = await upload(package.secretary, package.path + "/recommendation-scan", scan)
    assert response.status_code == 200, response.text
    await rendered(review, package, "review_summary", blank_pdf(1))
    await enter_statistics(review, package)
    outline = await package.secretary.get(package.path + "/work-summary/outline")
    assert outline.status_code == 200, outline.text
    response = await upload(
        package.secretary, package.path + "/work-summary", outline.content, "工作总结.docx"
    )
    assert response.status_code == 200, response.text


async def package_events(review: ReviewService, event_type: str, unit_id: str) -> list[Any]:
    return [p for p in await outbox_payloads(review.runtime, event_type) if p["unit_id"] == unit_id]


async def audit_actions(review: ReviewService, unit_id: str) -> list[str]:
    async with review.runtime.transaction() as session:
        rows = await session.execute(
            select(AuditRecord.action)
            .where(AuditRecord.unit_id == unit_id, AuditRecord.action.like("package.%"))
            .order_by(AuditRecord.at)
        )
        return list(rows.scalars())


# --- the whole life cycle ------------------------------------------------------------------


async def test_a_unit_completes_its_package_which_is_returned_resubmitted_and_accepted(
    review: ReviewService,
):
    package = await recommending(review)
    national = review.people.national()

    await complete_parts(review, package)
    view = (await package.secretary.get(package.path)).json()
    assert view["status"] == "draft"
    assert [p["present"] for p in view["parts"]] == [True, True, True, True]
    assert view["recommendation_version"] == package.code
    submitted = await package.secretary.post(package.path + "/submit")
    assert submitted.status_code == 200, submitted.text
    assert (submitted.json()["status"], submitted.json()["revision"]) == ("submitted", 1)

    returned = await national.post(
        package.path + "/return", {"reasons": ["活动统计表未盖章", "工作总结缺少典型案例"]}
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["return_reasons"] == ["活动统计表未盖章", "工作总结缺少典型案例"]
    resubmitted = await package.secretary.post(package.path + "/submit")
    assert (resubmitted.json()["status"], resubmitted.json()["revision"]) == ("submitted", 2)
    accepted = await national.post(package.path + "/accept")
    assert accepted.json()["status"] == "accepted"

    unit_id = package.unit.unit_id
    [first, second] = await package_events(review, "package.submitted", unit_id)
    assert (first["revision"], second["revision"]) == (1, 2)
    assert first["unit_contacts"] == [CONTACT.model_dump(mode="json")]
    assert first["unit_name"] == package.unit_name
    [back] = await package_events(review, "package.returned", unit_id)
    assert back["reasons"] == ["活动统计表未盖章", "工作总结缺少典型案例"]
    [done] = await package_events(review, "package.accepted", unit_id)
    assert done["decided_by"] == national.principal.user_id
    actions = await audit_actions(review, unit_id)
    assert actions[-4:] == [
        "package.submitted",
        "package.returned",
        "package.resubmitted",
        "package.accepted",
    ]
    late_edit = await upload(package.secretary, package.path + "/work-summary", b"x")
    assert late_edit.status_code == 409


async def test_statistics_compute_rates_prefill_known_figures_and_warn_on_differences(
    review: ReviewService,
):
    package = await recommending(review)
    known = (await package.secretary.get(package.path + "/statistics/known")).json()
    assert known["entries_submitted"] == 2
    assert known["entries_recommended"] == 1

    rows = statistics_rows(["西藏某不在 qcflow 的企业"])
    response = await package.secretary.put(package.path + "/statistics", {"rows": rows})

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["rows"][0]["achievement_rate"] == "40.00%"
    assert result["rows"][0]["activity_rate"] == "80.00%"
    assert result["rows"][0]["penetration_rate"] == "32.50%"
    assert result["totals"]["enterprises"] == "1"
    [missing] = [w for w in result["warnings"] if "但统计表中没有该单位" in w]
    assert "申报了 2 项成果" in missing
    [request] = [
        p
        for p in await outbox_payloads(review.runtime, "table.requested")
        if p["request_id"] == result["table_request_id"]
    ]
    assert request["table_kind"] == "activity_statistics"
    assert request["rows"][0]["groups_active"] == "24"
    assert "achievement_rate" not in request["rows"][0]  # render computes the printed rates


# --- refusals --------------------------------------------------------------------------------


async def test_a_package_with_missing_parts_is_refused_naming_them(review: ReviewService):
    package = await recommending(review)
    await rendered(review, package, "review_summary", blank_pdf(1))

    response = await package.secretary.post(package.path + "/submit")

    assert response.status_code == 409
    message = response.json()["detail"]
    assert "全国优秀质量管理小组推荐表（盖章扫描件）" in message
    assert "质量管理小组活动统计表" in message
    assert "年度质量管理小组活动工作总结" in message
    assert "成果评审汇总表" not in message
    assert (await package.secretary.get(package.path)).json()["status"] == "draft"
    assert await package_events(review, "package.submitted", package.unit.unit_id) == []


async def test_inconsistent_statistics_are_refused_and_nothing_is_saved(review: ReviewService):
    package = await forwarded(review)
    [row] = statistics_rows(["拉萨供电公司"])
    row.update(groups_active="31", participants="801")

    response = await package.secretary.put(package.path + "/statistics", {"rows": [row]})

    assert response.status_code == 422
    message = response.json()["detail"]
    assert "本年度开展活动QC小组数 31 不能大于 本年度注册QC小组数 30" in message
    assert "参加QC小组人数 801 不能大于 企业职工总数 800" in message
    saved = (await package.secretary.get(package.path + "/statistics")).json()
    assert saved["rows"] == []
    assert saved["table_request_id"] is None


async def test_a_package_after_the_national_deadline_is_refused(review: ReviewService):
    package = await forwarded(review, national_deadline_days=-0.01)

    response = await package.secretary.post(package.path + "/submit")

    assert response.status_code == 409
    assert "全国推荐截止时间" in response.json()["detail"]
    assert "已过" in response.json()["detail"]


async def test_another_units_secretary_and_reviewers_are_forbidden(review: ReviewService):
    package = await forwarded(review)
    stranger = review.people.secretary(unique("unit"))
    [row] = statistics_rows(["拉萨供电公司"])

    attempts = [
        await stranger.get(package.path),
        await stranger.put(package.path + "/statistics", {"rows": [row]}),
        await stranger.post(package.path + "/submit"),
        await upload(
            stranger, package.path + "/work-summary", summary_outline(unit_name="x", year=2023)
        ),
        await package.secretary.post(package.path + "/accept"),
        await package.secretary.get("/api/packages"),
        await package.secretary.post("/api/packages/reminders", {"campaign_id": "2023"}),
    ]

    assert [a.status_code for a in attempts] == [403] * len(attempts)
    assert all(a.json()["detail"] for a in attempts)


async def test_wrong_file_types_are_refused(review: ReviewService):
    package = await recommending(review)
    await rendered(review, package, "recommendation", blank_pdf(1))
    word = summary_docx(["一、基本情况和主要数据"])

    as_scan = await upload(package.secretary, package.path + "/recommendation-scan", word)
    as_summary = await upload(package.secretary, package.path + "/work-summary", blank_pdf(1))
    empty = await upload(package.secretary, package.path + "/work-summary", b"")

    assert as_scan.status_code == 422
    assert "不是 PDF" in as_scan.json()["detail"]
    assert as_summary.status_code == 422
    assert "不是 .docx" in as_summary.json()["detail"]
    assert empty.status_code == 422
    parts = (await package.secretary.get(package.path)).json()["parts"]
    assert not parts[0]["present"]
    assert not parts[3]["present"]


async def test_a_summary_without_the_required_headings_is_refused_naming_them(
    review: ReviewService,
):
    package = await forwarded(review)
    data = summary_docx(["一、基本情况和主要数据", "二、推进措施", "五、存在问题"])

    response = await upload(package.secretary, package.path + "/work-summary", data)

    assert response.status_code == 422
    message = response.json()["detail"]
    for missing in ("三、发表交流与评审", "四、典型经验", "六、下一年工作计划"):
        assert missing in message
    assert "二、推进措施" not in message


async def test_a_scan_of_another_version_or_unit_is_refused(review: ReviewService):
    package = await recommending(review)
    await rendered(review, package, "recommendation", text_pdf(package.unit_name, "第二页"))
    scan_path = package.path + "/recommendation-scan"

    old_code = await upload(
        package.secretary, scan_path, text_pdf(f"{package.unit_name} 版本码 0BAD0C0D", "第二页")
    )
    other_unit = await upload(
        package.secretary, scan_path, text_pdf(f"其他质量协会 版本码 {package.code}", "第二页")
    )
    too_few_pages = await upload(package.secretary, scan_path, blank_pdf(1))

    assert old_code.status_code == 422
    assert f"找不到当前版本的版本码 {package.code}" in old_code.json()["detail"]
    assert other_unit.status_code == 422
    assert package.unit_name in other_unit.json()["detail"]
    assert too_few_pages.status_code == 422
    assert "只有 1 页" in too_few_pages.json()["detail"]
    assert not (await package.secretary.get(package.path)).json()["parts"][0]["present"]

    no_text = await upload(package.secretary, scan_path, blank_pdf(2))
    assert no_text.status_code == 200, no_text.text
    assert "只核对了页数" in no_text.json()["note"]
    assert (await package.secretary.get(package.path)).json()["parts"][0]["present"]

    await rendered(review, package, "recommendation", text_pdf(package.unit_name, "二", "三"))
    stale = (await package.secretary.get(package.path)).json()["parts"][0]
    assert not stale["present"]
    assert "旧版本" in stale["detail"]


# --- national dashboard and reminders --------------------------------------------------------


async def test_national_dashboard_and_reminders_reach_only_units_not_submitted(
    review: ReviewService,
):
    done = await recommending(review)
    await complete_parts(review, done)
    assert (await done.secretary.post(done.path + "/submit")).status_code == 200
    late = await forwarded(review)
    national = review.people.national()

    board = (await national.get("/api/packages", campaign_id="2023")).json()
    rows = {r["unit_id"]: r for r in board}
    assert rows[done.unit.unit_id]["status"] == "submitted"
    assert rows[done.unit.unit_id]["quota"] == 1
    assert rows[done.unit.unit_id]["quota_used"] == 1
    assert rows[done.unit.unit_id]["entries_recommended"] == 1
    assert rows[done.unit.unit_id]["last_activity_at"] is not None
    assert rows[late.unit.unit_id]["status"] == "draft"

    response = await national.post(
        "/api/packages/reminders", {"campaign_id": "2023", "message": "请于截止前提交"}
    )

    assert response.status_code == 200, response.text
    reminded = response.json()["reminded_unit_ids"]
    assert late.unit.unit_id in reminded
    assert done.unit.unit_id not in reminded
    [event] = await package_events(review, "package.reminded", late.unit.unit_id)
    assert event["message"] == "请于截止前提交"
    assert event["unit_contacts"] == [CONTACT.model_dump(mode="json")]
    assert event["national_deadline_at"]
    assert await package_events(review, "package.reminded", done.unit.unit_id) == []


async def test_an_upload_over_the_size_limit_is_refused_and_nothing_is_kept(
    review: ReviewService, monkeypatch: pytest.MonkeyPatch
):
    package = await forwarded(review)
    monkeypatch.setattr(package_uploads, "MAX_SUMMARY_BYTES", 4096)
    outline = summary_outline(unit_name=package.unit_name, year=2023)
    assert len(outline) > 4096

    response = await upload(package.secretary, package.path + "/work-summary", outline)

    assert response.status_code == 413
    assert "超过" in response.json()["detail"]
    assert not (await package.secretary.get(package.path)).json()["parts"][3]["present"]
