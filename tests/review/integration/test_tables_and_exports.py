"""Tables go to render as rows; rendered files are listed; scores export as xlsx and csv."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from typing import Any

from openpyxl import load_workbook

from shared.auth import Role
from shared.events import DocumentRendered, RenderedFile
from tests.review.integration.chain import Unit, forwarded_unit, scored_entry
from tests.review.integration.conftest import ReviewService
from tests.review.support import outbox_payloads


async def recommended_unit(review: ReviewService) -> tuple[Unit, uuid.UUID, uuid.UUID]:
    unit = await forwarded_unit(review, deadline_days=5, national_deadline_days=30, quota=1)
    best = await scored_entry(review, unit, "ent-a", ["60", "88", "90", "91", "99"])
    other = await scored_entry(review, unit, "ent-b", ["70", "72"])
    response = await unit.secretary.post("/api/recommendations", {"application_ids": [str(best)]})
    assert response.status_code == 200, response.text
    return unit, best, other


async def requested(review: ReviewService, request_id: str) -> dict[str, Any]:
    payloads = await outbox_payloads(review.runtime, "table.requested")
    [payload] = [p for p in payloads if p["request_id"] == request_id]
    return payload


async def test_recommendation_table_carries_the_recommended_rows_and_its_files_are_listed(
    review: ReviewService,
):
    unit, best, _ = await recommended_unit(review)

    response = await unit.secretary.post(
        "/api/tables",
        {
            "table_kind": "recommendation",
            "campaign_id": "2023",
            "header": {"contact_person": "次仁", "phone": "0891-6334567"},
            "footer": {"opinion": "同意推荐"},
        },
    )

    assert response.status_code == 202, response.text
    request_id = response.json()["request_id"]
    payload = await requested(review, request_id)
    assert (payload["table_kind"], payload["unit_id"], payload["campaign_year"]) == (
        "recommendation",
        unit.unit_id,
        2023,
    )
    assert payload["header"]["contact_person"] == "次仁"
    entry = (await unit.secretary.get(f"/api/entries/{best}")).json()
    assert payload["rows"] == [
        {
            "enterprise_name": entry["enterprise_name"],
            "group_name": entry["group_name"],
            "topic_name": entry["topic_name"],
            "topic_type": "问题解决型",
            "score": "89.67",
            "rank": "1",
            "presented": "",
            "remarks": "",
        }
    ]

    content = b"PK fake xlsx bytes"
    key = f"tables/{request_id}.xlsx"
    await review.runtime.store.put_bytes(key, content, content_type="application/octet-stream")
    await review.deliver(
        DocumentRendered(
            subject_type="unit_table",
            subject_id=request_id,
            request_id=request_id,
            unit_id=unit.unit_id,
            document_kind="recommendation",
            revision=1,
            template_version="recommendation/v1",
            files=(
                RenderedFile(
                    format="xlsx",
                    storage_key=key,
                    sha256=hashlib.sha256(content).hexdigest(),
                    size=len(content),
                    content_type="application/octet-stream",
                ),
            ),
        )
    )
    [listed] = [
        t for t in (await unit.secretary.get("/api/tables")).json() if t["request_id"] == request_id
    ]
    assert [f["format"] for f in listed["files"]] == ["xlsx"]
    download = await unit.secretary.get(f"/api/tables/{request_id}/xlsx")
    assert download.content == content
    assert "attachment" in download.headers["content-disposition"]
    foreign = await review.people.secretary("another-unit").get(f"/api/tables/{request_id}/xlsx")
    assert foreign.status_code == 403
    pending = await unit.secretary.get(f"/api/tables/{request_id}/pdf")
    assert pending.status_code == 404


async def test_review_summary_lists_every_scored_entry_with_each_experts_total(
    review: ReviewService,
):
    unit, _, _ = await recommended_unit(review)

    response = await unit.secretary.post(
        "/api/tables", {"table_kind": "review_summary", "campaign_id": "2023"}
    )

    rows = (await requested(review, response.json()["request_id"]))["rows"]
    assert [
        (r["expert_scores"], r["average_score"], r["final_score"], r["conclusion"]) for r in rows
    ] == [
        ("60.00、88.00、90.00、91.00、99.00", "89.67", "89.67", "推荐"),
        ("70.00、72.00", "", "71.00", "不推荐"),
    ]


async def test_activity_statistics_checks_each_typed_figure(review: ReviewService):
    unit, _, _ = await recommended_unit(review)
    bad = await unit.secretary.post(
        "/api/tables",
        {
            "table_kind": "activity_statistics",
            "campaign_id": "2023",
            "statistics": [
                {"enterprise_name": "国网西藏电力有限公司拉萨供电公司", "employees": "多"}
            ],
        },
    )
    assert bad.status_code == 422
    assert bad.json()["detail"] == "第1行 企业职工总数：应为非负整数，请重新填写。"

    good = await unit.secretary.post(
        "/api/tables",
        {
            "table_kind": "activity_statistics",
            "campaign_id": "2023",
            "statistics": [
                {
                    "enterprise_name": "国网西藏电力有限公司拉萨供电公司",
                    "employees": "1200",
                    "groups_registered": "40",
                    "direct_benefit": "356.5",
                }
            ],
        },
    )
    [row] = (await requested(review, good.json()["request_id"]))["rows"]
    assert (row["employees"], row["achievements"], row["direct_benefit"]) == ("1200", "2", "356.5")


async def test_score_exports_hold_each_reviewers_marks_per_criterion(review: ReviewService):
    unit, best, _ = await recommended_unit(review)

    xlsx = await unit.secretary.get("/api/exports/scores.xlsx", campaign_id="2023")
    csv_response = await unit.secretary.get("/api/exports/scores.csv")

    workbook = load_workbook(io.BytesIO(xlsx.content))
    sheet = workbook["问题解决型课题成果评价表"]
    header, *rows = list(sheet.values)
    assert header[6:] == (
        "选题（15分）",
        "原因分析（30分）",
        "对策与实施（20分）",
        "效果（20分）",
        "成果报告（5分）",
        "特点（10分）",
        "合计",
        "评语",
    )
    best_rows = [r for r in rows if r[0] == str(best)]
    assert sorted(r[12] for r in best_rows) == [60, 88, 90, 91, 99]
    assert all(sum(r[6:12]) == r[12] for r in best_rows)
    lines = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert lines[0][-5:] == ["评分表", "评分项", "满分", "得分", "评语"]
    assert len([line for line in lines if line[0] == str(best)]) == 5 * 6
    other_unit = await review.people.as_(Role.UNIT_REVIEWER, unit.unit_id).get(
        "/api/exports/scores.csv"
    )
    assert other_unit.status_code == 403
