"""A unit's deadline extension tells notify (its reminders) through the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.intake.integration.bus import on_notify_queue
from tests.intake.integration.conftest import Intake, Season


async def current_deadline(intake: Intake, season: Season) -> datetime:
    response = await intake.client.get(
        f"/api/campaigns/{season.campaign_id}/notice", headers=season.secretary
    )
    assert response.status_code == 200, response.text
    return datetime.fromisoformat(response.json()["deadline_at"])


async def test_extending_the_deadline_publishes_deadline_extended_to_notify(
    intake: Intake, season: Season
):
    previous = await current_deadline(intake, season)
    new_deadline = (previous + timedelta(days=10)).replace(microsecond=0)
    response = await intake.client.post(
        f"/api/campaigns/{season.campaign_id}/extensions",
        headers=season.secretary,
        json={"new_deadline_at": new_deadline.isoformat(), "reason": "高原地区网络中断"},
    )
    assert response.status_code == 200, response.text

    [event] = await intake.outbox("campaign.deadline_extended", season.unit_id)
    assert event["campaign_id"] == season.campaign_id
    assert event["unit_id"] == season.unit_id
    assert event["unit_name"] == "西藏自治区质量协会"
    assert datetime.fromisoformat(event["previous_deadline_at"]) == previous
    assert datetime.fromisoformat(event["new_deadline_at"]) == new_deadline
    assert event["reason"] == "高原地区网络中断"
    assert event["extended_by"] == f"sec-{season.unit_id.removeprefix('u-')}"
    assert datetime.now(UTC) - datetime.fromisoformat(event["extended_at"]) < timedelta(minutes=1)
    on_bus = await on_notify_queue(
        intake.amqp_url, "campaign.deadline_extended", unit_id=season.unit_id
    )
    assert on_bus["event_id"] == event["event_id"]


async def test_a_refused_extension_publishes_nothing(intake: Intake, season: Season):
    earlier = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    response = await intake.client.post(
        f"/api/campaigns/{season.campaign_id}/extensions",
        headers=season.secretary,
        json={"new_deadline_at": earlier, "reason": "测试"},
    )
    assert response.status_code == 422
    assert "须晚于当前截止时间" in response.json()["detail"]
    assert await intake.outbox("campaign.deadline_extended", season.unit_id) == []
