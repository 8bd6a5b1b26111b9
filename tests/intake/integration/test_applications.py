"""The 申报表 on the real stack: validation, certificate line, deadlines, idempotent submit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from services.intake.models import UnitCampaign
from tests.builders import application_form, unique
from tests.intake.integration.conftest import Intake, Season, create_season


async def create_draft(intake: Intake, season: Season, **overrides: object) -> dict[str, object]:
    form = application_form(enterprise_name=season.enterprise_name, **overrides)
    response = await intake.client.post("/api/applications", headers=season.applicant, json=form)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def count_applications(intake: Intake, season: Season) -> int:
    response = await intake.client.get("/api/applications", headers=season.applicant)
    return len(response.json())


async def submit(
    intake: Intake, season: Season, draft: dict[str, object], **headers: str
) -> tuple[int, dict[str, object]]:
    response = await intake.client.post(
        f"/api/applications/{draft['application_id']}/submit",
        headers={**season.applicant, **headers},
        json={"confirm_certificate_line": draft["certificate_line"]},
    )
    return response.status_code, response.json()


async def test_create_with_wrong_enterprise_name_is_refused_showing_the_registered_name(
    intake: Intake, season: Season
):
    response = await intake.client.post(
        "/api/applications",
        headers=season.applicant,
        json=application_form(enterprise_name="拉萨供电公司"),
    )
    assert response.status_code == 422
    assert f"贵企业登记的全称为“{season.enterprise_name}”" in response.json()["detail"]
    assert await count_applications(intake, season) == 0


async def test_create_without_target_kind_for_problem_solving_is_refused(
    intake: Intake, season: Season
):
    form = application_form(enterprise_name=season.enterprise_name, target_kind=None)
    response = await intake.client.post("/api/applications", headers=season.applicant, json=form)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("目标类型：")
    assert await count_applications(intake, season) == 0


async def test_create_with_two_leaders_is_refused(intake: Intake, season: Season):
    member = {"name": "甲", "role": "组长"}
    form = application_form(enterprise_name=season.enterprise_name, members=[member, member])
    response = await intake.client.post("/api/applications", headers=season.applicant, json=form)
    assert response.status_code == 422
    assert "须有且只有一名组长" in response.json()["detail"]


async def test_create_with_bad_postal_code_and_mobile_names_both_fields(
    intake: Intake, season: Season
):
    form = application_form(
        enterprise_name=season.enterprise_name, postal_code="8500", mobile="12345"
    )
    response = await intake.client.post("/api/applications", headers=season.applicant, json=form)
    assert response.status_code == 422
    assert "邮编" in response.json()["detail"]
    assert "手机" in response.json()["detail"]


async def test_create_with_eleven_members_warns_but_saves(intake: Intake, season: Season):
    members = [{"name": "组长甲", "role": "组长"}] + [
        {"name": f"成员{i}", "role": "成员"} for i in range(10)
    ]
    draft = await create_draft(intake, season, members=members)
    assert draft["status"] == "draft"
    warnings = draft["warnings"]
    assert isinstance(warnings, list)
    assert len(warnings) == 1
    assert "共11人" in warnings[0]


async def test_certificate_line_preview_shows_enterprise_and_group(intake: Intake, season: Season):
    group_name = unique("雪域先锋QC小组")
    draft = await create_draft(intake, season, group_name=group_name)
    response = await intake.client.get(
        f"/api/applications/{draft['application_id']}/certificate-line", headers=season.applicant
    )
    assert response.status_code == 200
    assert response.json()["certificate_line"] == f"{season.enterprise_name} {group_name}"


async def test_submit_requires_the_exact_certificate_line(intake: Intake, season: Season):
    draft = await create_draft(intake, season)
    url = f"/api/applications/{draft['application_id']}/submit"
    missing = await intake.client.post(url, headers=season.applicant, json={})
    wrong = await intake.client.post(
        url, headers=season.applicant, json={"confirm_certificate_line": "拉萨供电公司 QC小组"}
    )
    assert missing.status_code == 422
    assert "证书名称确认" in missing.json()["detail"]
    assert wrong.status_code == 409
    assert f"证书将印制为“{draft['certificate_line']}”" in wrong.json()["detail"]
    assert await intake.outbox("application.submitted", str(draft["application_id"])) == []


async def test_submit_publishes_the_submitted_event_with_the_form(intake: Intake, season: Season):
    draft = await create_draft(intake, season)
    code, body = await submit(intake, season, draft)
    assert code == 200, body
    assert (body["status"], body["revision"], body["status_label"]) == (
        "submitted",
        1,
        "已提交，待推荐单位形式审查",
    )
    [event] = await intake.outbox("application.submitted", str(draft["application_id"]))
    assert event["unit_id"] == season.unit_id
    assert event["form"]["enterprise_name"] == season.enterprise_name
    assert event["unit_contact"]["name"] == "仁青平措"


async def test_submit_with_the_same_idempotency_key_replays_without_a_second_event(
    intake: Intake, season: Season
):
    draft = await create_draft(intake, season)
    first = await submit(intake, season, draft, **{"Idempotency-Key": "k-1"})
    second = await submit(intake, season, draft, **{"Idempotency-Key": "k-1"})
    third = await submit(intake, season, draft, **{"Idempotency-Key": "k-2"})
    assert first == second
    assert first[0] == 200
    assert third[0] == 409
    assert len(await intake.outbox("application.submitted", str(draft["application_id"]))) == 1


async def test_submit_after_the_unit_deadline_is_refused_until_extended(intake: Intake):
    season = await create_season(intake, unit_deadline_in=timedelta(days=30))
    draft = await create_draft(intake, season)
    past = datetime.now(UTC) - timedelta(minutes=1)
    async with intake.runtime.transaction() as session:
        await session.execute(
            update(UnitCampaign)
            .where(UnitCampaign.unit_id == season.unit_id)
            .values(deadline_at=past)
        )
    code, body = await submit(intake, season, draft)
    assert code == 409
    assert "（北京时间），已过截止时间" in str(body["detail"])

    extended = await intake.client.post(
        f"/api/campaigns/{season.campaign_id}/extensions",
        headers=season.secretary,
        json={
            "new_deadline_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
            "reason": "雪灾导致网络中断",
        },
    )
    assert extended.status_code == 200, extended.text
    assert extended.json()["extensions"][0]["reason"] == "雪灾导致网络中断"
    code, body = await submit(intake, season, draft)
    assert code == 200, body


async def test_another_enterprise_cannot_see_or_submit_the_application(
    intake: Intake, season: Season
):
    draft = await create_draft(intake, season)
    url = f"/api/applications/{draft['application_id']}"
    seen = await intake.client.get(url, headers=season.other_applicant)
    submitted = await intake.client.post(
        f"{url}/submit",
        headers=season.other_applicant,
        json={"confirm_certificate_line": draft["certificate_line"]},
    )
    assert (seen.status_code, submitted.status_code) == (403, 403)
    assert (await intake.client.get(url, headers=season.applicant)).json()["status"] == "draft"
