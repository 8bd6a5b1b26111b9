"""A unit's deadline extension tells notify (its reminders) through the outbox."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika

from shared.messaging.topology import SERVICE_QUEUES
from tests.intake.integration.conftest import Intake, Season

NOTIFY_QUEUE = SERVICE_QUEUES["notify"].name


async def extension_on_notify_queue(
    amqp_url: str, unit_id: str, *, timeout_s: float = 20
) -> dict[str, Any]:
    """Take from notify's queue (no notify runs here) until the relay delivered the extension."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(NOTIFY_QUEUE, passive=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                await asyncio.sleep(0.1)
                continue
            body: dict[str, Any] = json.loads(message.body)
            if body["type"] == "campaign.deadline_extended" and body["unit_id"] == unit_id:
                return body
    return {}


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
    on_bus = await extension_on_notify_queue(intake.amqp_url, season.unit_id)
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
