"""Creating and withdrawing a draft tell notify (its deadline reminders) through the outbox."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aio_pika

from shared.messaging.topology import SERVICE_QUEUES
from tests.intake.integration.conftest import Intake, Season
from tests.intake.integration.test_applications import create_draft

NOTIFY_QUEUE = SERVICE_QUEUES["notify"].name


async def routed_to_notify(
    amqp_url: str, event_type: str, application_id: str, *, timeout_s: float = 20
) -> dict[str, Any]:
    """Take from notify's queue (no notify runs here) until the outbox relay delivered the event."""
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
            if body["type"] == event_type and body["application_id"] == application_id:
                return body
    return {}


async def test_creating_a_draft_publishes_draft_created_with_the_applicant(
    intake: Intake, season: Season
):
    draft = await create_draft(intake, season, group_name="雪域先锋QC小组")
    app_id = str(draft["application_id"])

    [event] = await intake.outbox("application.draft_created", app_id)
    assert event["campaign_id"] == season.campaign_id
    assert event["unit_id"] == season.unit_id
    assert event["enterprise_id"] == season.enterprise_id
    assert event["applicant"] == {
        "user_id": season.applicant_username,
        "name": "朗杰",
        "email": f"{season.applicant_username}@example.com",
        "mobile": None,
    }
    assert event["group_name"] == "雪域先锋QC小组"
    assert event["enterprise_name"] == season.enterprise_name
    on_bus = await routed_to_notify(intake.amqp_url, "application.draft_created", app_id)
    assert on_bus["event_id"] == event["event_id"]


async def test_withdrawing_a_draft_publishes_draft_withdrawn_not_withdrawn(
    intake: Intake, season: Season
):
    draft = await create_draft(intake, season)
    app_id = str(draft["application_id"])
    response = await intake.client.post(
        f"/api/applications/{app_id}/withdraw", headers=season.applicant, json={"reason": "重复"}
    )
    assert response.status_code == 200, response.text

    [event] = await intake.outbox("application.draft_withdrawn", app_id)
    assert (event["unit_id"], event["enterprise_id"]) == (season.unit_id, season.enterprise_id)
    assert await intake.outbox("application.withdrawn", app_id) == []
    on_bus = await routed_to_notify(intake.amqp_url, "application.draft_withdrawn", app_id)
    assert on_bus["event_id"] == event["event_id"]


async def test_a_refused_draft_publishes_nothing(intake: Intake, season: Season):
    response = await intake.client.post(
        "/api/applications",
        headers=season.applicant,
        json={"enterprise_name": season.enterprise_name},
    )
    assert response.status_code == 422
    assert await intake.outbox("application.draft_created", season.enterprise_id) == []
