"""`qcflow admin export-table` of the 推荐表 and 成果评审汇总表, after a real submission is scored.

The chain runs through the real services: the applicant submits at intake, the secretary screens,
two reviewers (accounts opened with `import users`) score, the secretary recommends; then the CLI
requests each table, waits for render and downloads the xlsx.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
from openpyxl import load_workbook

from tests.builders import application_form, pdf_bytes, unique
from tests.cli.conftest import (
    NATIONAL_ADMIN,
    UNIT_ID,
    UNIT_SECRETARY,
    iso_in_days,
    login,
    new_campaign,
    run_admin,
)
from tests.review.support import marks_for
from tests.support.platform import Platform, wait_for

APPLICANT = "sichuan-applicant"
ENTERPRISE_NAME = "攀钢集团四川长城特殊钢有限责任公司"  # the demo's member enterprise of UNIT_ID
REVIEWER_PASSWORD = "reviewer-password-1"


def forward_with_latest_deadline(platform: Platform, campaign_id: str) -> None:
    """The unit's newest deadline makes this campaign the one the applicant submits to."""
    result = run_admin(
        platform,
        UNIT_SECRETARY,
        "forward-notice",
        campaign_id,
        "--doc-number",
        "川质协〔2026〕9号",
        "--title",
        "转发全国质量管理小组活动通知",
        "--deadline",
        iso_in_days(45),
        "--contact",
        "王芳,secretary@sc.example.com",
    )
    assert result.exit_code == 0, result.output


def review_knows_the_campaign(platform: Platform, campaign_id: str) -> bool:
    units = httpx.get(
        f"{platform.url('review')}/api/units", headers=login(platform, NATIONAL_ADMIN)
    ).json()
    return any(u["unit_id"] == UNIT_ID and u["campaign_id"] == campaign_id for u in units)


def submitted_application(platform: Platform, group_name: str) -> str:
    intake = platform.url("intake")
    applicant = login(platform, APPLICANT)
    form = application_form(enterprise_name=ENTERPRISE_NAME, group_name=group_name)
    created = httpx.post(f"{intake}/api/applications", headers=applicant, json=form)
    assert created.status_code == 201, created.text
    application = created.json()
    url = f"{intake}/api/applications/{application['application_id']}"
    uploaded = httpx.post(
        f"{url}/files",
        params={"filename": "活动记录.pdf"},
        headers={**applicant, "Content-Type": "application/pdf"},
        content=pdf_bytes(),
    )
    assert uploaded.status_code == 201, uploaded.text
    submitted = httpx.post(
        f"{url}/submit",
        headers=applicant,
        json={"confirm_certificate_line": application["certificate_line"]},
    )
    assert submitted.status_code == 200, submitted.text
    return str(application["application_id"])


def reviewer_accounts(platform: Platform, tmp_path: Path, count: int) -> list[str]:
    usernames = [f"sc-rev-{uuid.uuid4().hex[:8]}" for _ in range(count)]
    rows = [
        f"{name},专家{name[-4:]},推荐单位评审专家,{UNIT_ID},,{name}@example.com,{REVIEWER_PASSWORD}"
        for name in usernames
    ]
    users = tmp_path / "评审专家.csv"
    users.write_text(
        "用户名,姓名,角色,所属单位编号,所属企业编号,邮箱,初始密码\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    result = run_admin(platform, UNIT_SECRETARY, "import", "users", str(users))
    assert result.exit_code == 0, result.output
    return usernames


def reviewer_login(platform: Platform, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{platform.url('intake')}/api/login",
        json={"username": username, "password": REVIEWER_PASSWORD},
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def review_call(method: str, url: str, headers: dict[str, str], body: object) -> Any:
    response = httpx.request(method, url, headers=headers, json=body, timeout=30)
    assert response.is_success, response.text
    return response.json()


def score_and_recommend(
    platform: Platform, application_id: str, reviewers: list[str], totals: list[str]
) -> None:
    review = platform.url("review")
    secretary = login(platform, UNIT_SECRETARY)
    wait_for(
        lambda: (
            application_id
            in [
                e["application_id"]
                for e in httpx.get(f"{review}/api/entries", headers=secretary).json()
            ]
        ),
        60,
    )
    entry = f"{review}/api/entries/{application_id}"
    review_call("POST", f"{entry}/screening", secretary, {"outcome": "accept"})
    for username, total in zip(reviewers, totals, strict=True):
        review_call(
            "PUT",
            f"{review}/api/reviewers",
            secretary,
            {
                "user_id": username,
                "name": f"专家{username[-4:]}",
                "email": f"{username}@example.com",
                "enterprise_id": f"ent-{username}",
                "conflict_enterprise_ids": [],
            },
        )
        assignment = review_call(
            "POST", f"{entry}/assignments", secretary, {"reviewer_user_id": username}
        )
        review_call(
            "POST",
            f"{review}/api/assignments/{assignment['assignment_id']}/scores",
            reviewer_login(platform, username),
            {"marks": marks_for(total, assignment["sheet_id"])},
        )
    review_call("POST", f"{entry}/aggregate", secretary, {})
    review_call(
        "POST", f"{review}/api/recommendations", secretary, {"application_ids": [application_id]}
    )


def exported_cells(platform: Platform, kind: str, campaign_id: str, out: Path) -> list[str]:
    result = run_admin(
        platform, UNIT_SECRETARY, "export-table", kind, campaign_id, "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    (saved,) = out.glob("*.xlsx")
    assert f"已保存 {saved.stem.split('-')[0]}：{saved}" in result.output
    sheet = load_workbook(saved).active
    assert sheet is not None
    return [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell]


def test_recommendation_and_review_summary_tables_of_a_scored_entry(
    platform: Platform, tmp_path: Path
):
    campaign_id = new_campaign(platform)
    forward_with_latest_deadline(platform, campaign_id)
    wait_for(lambda: review_knows_the_campaign(platform, campaign_id), 30)
    quota = run_admin(
        platform, NATIONAL_ADMIN, "set-quota", campaign_id, "--unit", UNIT_ID, "--quota", "1"
    )
    assert quota.exit_code == 0, quota.output
    group_name = unique("长城特钢QC小组")
    application_id = submitted_application(platform, group_name)
    reviewers = reviewer_accounts(platform, tmp_path, 2)

    score_and_recommend(platform, application_id, reviewers, ["88", "92"])

    recommendation = exported_cells(platform, "recommendation", campaign_id, tmp_path / "推荐表")
    assert (tmp_path / "推荐表" / f"推荐表-{UNIT_ID}-{campaign_id}.xlsx").exists()
    assert group_name in recommendation
    assert ENTERPRISE_NAME in recommendation
    summary = exported_cells(platform, "review_summary", campaign_id, tmp_path / "汇总表")
    assert (tmp_path / "汇总表" / f"成果评审汇总表-{UNIT_ID}-{campaign_id}.xlsx").exists()
    assert group_name in summary
    assert "90.00" in summary
    assert "推荐" in summary


def test_national_review_summary_needs_a_year_and_scored_entries(platform: Platform):
    not_a_year = run_admin(platform, NATIONAL_ADMIN, "export-table", "review_summary", "cli-x")
    assert not_a_year.exit_code == 1
    assert "全国评审汇总表请填写年度数字" in not_a_year.output
    nothing_scored = run_admin(platform, NATIONAL_ADMIN, "export-table", "review_summary", "2031")
    assert nothing_scored.exit_code == 1
    assert "全国评审尚无已汇总评分的申报" in nothing_scored.output
    recommendation = run_admin(platform, NATIONAL_ADMIN, "export-table", "recommendation", "2031")
    assert recommendation.exit_code == 1
    assert "全国评审只生成成果评审汇总表" in recommendation.output
