"""Campaign, forwarding with CampaignForwarded, enterprises with checked credit codes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.intake.domain.credit_code import check_character
from tests.builders import unique
from tests.intake.integration.conftest import Intake, Season


def campaign_body(campaign_id: str) -> dict[str, object]:
    return {
        "campaign_id": campaign_id,
        "year": 2023,
        "doc_number": "中国质协字〔2023〕38号",
        "title": "关于开展2023年度全国质量管理小组活动推进工作的通知",
        "theme": "数字赋能 激发动能 提升效能",
        "national_deadline_at": "2099-08-31T17:00:00+08:00",
        "contacts": [{"name": "质量活动推进部", "email": "qcc@example.com"}],
    }


def forward_body(deadline: str = "2099-06-28T17:00:00+08:00") -> dict[str, object]:
    return {
        "doc_number": "藏质协字（2023）6号",
        "title": "关于转发2023年度全国质量管理小组活动推进工作通知的通知",
        "body": "请各会员单位按时报送。",
        "deadline_at": deadline,
        "contacts": [{"name": "仁青平措", "email": "sec@example.com", "mobile": "13908901234"}],
    }


async def test_only_the_national_office_publishes_a_campaign(intake: Intake, season: Season):
    campaign_id = f"n-{uuid.uuid4().hex[:8]}"
    refused = await intake.client.post(
        "/api/campaigns", headers=season.applicant, json=campaign_body(campaign_id)
    )
    published = await intake.client.post(
        "/api/campaigns", headers=season.national_admin, json=campaign_body(campaign_id)
    )
    again = await intake.client.post(
        "/api/campaigns", headers=season.national_admin, json=campaign_body(campaign_id)
    )
    assert refused.status_code == 403
    assert published.status_code == 201, published.text
    assert published.json()["national_deadline_text"] == "2099年08月31日 17:00（北京时间）"
    assert again.status_code == 409


async def test_forwarding_publishes_the_notice_to_member_enterprises(
    intake: Intake, season: Season
):
    campaign_id = f"n-{uuid.uuid4().hex[:8]}"
    await intake.client.post(
        "/api/campaigns", headers=season.national_admin, json=campaign_body(campaign_id)
    )
    response = await intake.client.post(
        f"/api/campaigns/{campaign_id}/forward", headers=season.secretary, json=forward_body()
    )
    assert response.status_code == 201, response.text
    assert response.json()["deadline_text"] == "2099年06月28日 17:00（北京时间）"
    [event] = await intake.outbox("campaign.forwarded", campaign_id)
    assert (event["unit_doc_number"], event["national_doc_number"]) == (
        "藏质协字（2023）6号",
        "中国质协字〔2023〕38号",
    )
    member = event["member_enterprises"][0]
    assert member["name"] == season.enterprise_name
    assert [c["user_id"] for c in member["contacts"]] == [season.applicant_username]

    notice = await intake.client.get(
        f"/api/campaigns/{campaign_id}/notice", headers=season.applicant
    )
    assert notice.status_code == 200
    assert notice.json()["seconds_left"] > 0
    twice = await intake.client.post(
        f"/api/campaigns/{campaign_id}/forward", headers=season.secretary, json=forward_body()
    )
    assert twice.status_code == 409


async def test_forward_deadline_after_the_national_one_is_refused(intake: Intake, season: Season):
    campaign_id = f"n-{uuid.uuid4().hex[:8]}"
    await intake.client.post(
        "/api/campaigns", headers=season.national_admin, json=campaign_body(campaign_id)
    )
    response = await intake.client.post(
        f"/api/campaigns/{campaign_id}/forward",
        headers=season.secretary,
        json=forward_body("2099-09-30T17:00:00+08:00"),
    )
    assert response.status_code == 422
    assert "须早于全国截止时间" in response.json()["detail"]
    assert await intake.outbox("campaign.forwarded", campaign_id) == []


async def test_extension_must_be_later_and_by_the_unit(intake: Intake, season: Season):
    earlier = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    url = f"/api/campaigns/{season.campaign_id}/extensions"
    body = {"new_deadline_at": earlier, "reason": "测试"}
    by_applicant = await intake.client.post(url, headers=season.applicant, json=body)
    not_later = await intake.client.post(url, headers=season.secretary, json=body)
    assert by_applicant.status_code == 403
    assert not_later.status_code == 422
    assert "须晚于当前截止时间" in not_later.json()["detail"]


def fresh_credit_code() -> str:
    """A checksum-valid code; hex digits A-F never hit the letters the code leaves out."""
    first_17 = "9154010" + uuid.uuid4().hex[:10].upper()
    return first_17 + check_character(first_17)


async def test_register_enterprise_checks_the_credit_code(intake: Intake, season: Season):
    code = fresh_credit_code()
    enterprise_id = f"e-{uuid.uuid4().hex[:8]}"
    name = unique("西藏某某有限公司")
    wrong = await intake.client.post(
        "/api/enterprises",
        headers=season.secretary,
        json={"enterprise_id": enterprise_id, "name": name, "credit_code": code[:-1] + "!"},
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"].startswith("统一社会信用代码")
    ok = await intake.client.post(
        "/api/enterprises",
        headers=season.secretary,
        json={"enterprise_id": enterprise_id, "name": name, "credit_code": code},
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["unit_id"] == season.unit_id
    duplicate = await intake.client.post(
        "/api/enterprises",
        headers=season.secretary,
        json={"enterprise_id": enterprise_id + "x", "name": name, "credit_code": code},
    )
    assert duplicate.status_code == 409
    assert name in duplicate.json()["detail"]
