"""Creating, editing and withdrawing a draft tell notify (its reminders) through the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.events import ApplicationReturned, ScreeningReason
from tests.builders import application_form
from tests.intake.integration.bus import on_notify_queue
from tests.intake.integration.conftest import Intake, Season
from tests.intake.integration.test_applications import create_draft
from tests.intake.integration.test_life_cycle import (
    decision_fields,
    status_becomes,
    submitted_application,
)


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
    on_bus = await on_notify_queue(
        intake.amqp_url, "application.draft_created", application_id=app_id
    )
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
    on_bus = await on_notify_queue(
        intake.amqp_url, "application.draft_withdrawn", application_id=app_id
    )
    assert on_bus["event_id"] == event["event_id"]


async def test_a_refused_draft_publishes_nothing(intake: Intake, season: Season):
    response = await intake.client.post(
        "/api/applications",
        headers=season.applicant,
        json={"enterprise_name": season.enterprise_name},
    )
    assert response.status_code == 422
    assert await intake.outbox("application.draft_created", season.enterprise_id) == []


async def test_editing_a_draft_publishes_draft_updated_with_the_new_names(
    intake: Intake, season: Season
):
    draft = await create_draft(intake, season, group_name="雪域先锋QC小组")
    app_id = str(draft["application_id"])
    renamed = application_form(
        enterprise_name=season.enterprise_name, group_name="高原之鹰QC小组", topic_name="新课题"
    )
    response = await intake.client.put(
        f"/api/applications/{app_id}", headers=season.applicant, json=renamed
    )
    assert response.status_code == 200, response.text

    [event] = await intake.outbox("application.draft_updated", app_id)
    assert event["campaign_id"] == season.campaign_id
    assert (event["unit_id"], event["enterprise_id"]) == (season.unit_id, season.enterprise_id)
    assert (event["enterprise_name"], event["group_name"], event["topic_name"]) == (
        season.enterprise_name,
        "高原之鹰QC小组",
        "新课题",
    )
    on_bus = await on_notify_queue(
        intake.amqp_url, "application.draft_updated", application_id=app_id
    )
    assert on_bus["event_id"] == event["event_id"]


async def test_editing_a_returned_application_publishes_no_draft_updated(
    intake: Intake, season: Season
):
    body = await submitted_application(intake, season)
    app_id = str(body["application_id"])
    await intake.publish(
        ApplicationReturned(
            **decision_fields(season, body),
            reasons=(ScreeningReason(code="name", label="小组名称有误", note="请核对"),),
            correction_deadline_at=datetime.now(UTC) + timedelta(days=3),
        )
    )
    await status_becomes(intake, season, app_id, "returned")
    corrected = application_form(enterprise_name=season.enterprise_name, group_name="改名QC小组")
    response = await intake.client.put(
        f"/api/applications/{app_id}", headers=season.applicant, json=corrected
    )
    assert response.status_code == 200, response.text
    # The edit is committed with its outbox rows (same transaction): none can appear later.
    assert await intake.outbox("application.draft_updated", app_id) == []
