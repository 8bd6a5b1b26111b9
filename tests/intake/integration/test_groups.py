"""QC group and topic registration: numbers per unit and year, safe under concurrency."""

from __future__ import annotations

import asyncio

from tests.intake.integration.conftest import Intake, Season


def group_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "group_name": "雪域先锋QC小组",
        "year": 2023,
        "founded_on": "2021-03-01",
        "activity_frequency": "每月两次",
        "members": [
            {"name": "朗杰", "role": "组长", "gender": "男", "title": "高级工程师"},
            {"name": "卓玛", "role": "顾问", "gender": "女"},
            {"name": "次仁", "role": "成员", "mobile": "13908901234", "qc_hours": 40},
        ],
    }
    body.update(overrides)
    return body


async def test_register_group_with_topic_numbers_both_and_publishes(intake: Intake, season: Season):
    topic = {
        "topic_name": "降低配电网线路故障停电时长",
        "topic_type": "问题解决型",
        "target_kind": "指令性目标",
        "planned_start": "2023-03-01",
    }
    response = await intake.client.post(
        "/api/groups", headers=season.applicant, json=group_body(topic=topic)
    )
    assert response.status_code == 201, response.text
    group = response.json()
    assert group["registration_number"] == f"{season.unit_code}-2023-0001"
    assert group["topics"][0]["registration_number"] == f"{season.unit_code}-2023-T0001"
    [event] = await intake.outbox("group.registered", group["group_id"])
    assert (event["leader"], event["adviser"], event["enterprise_name"]) == (
        "朗杰",
        "卓玛",
        season.enterprise_name,
    )
    assert event["topic"]["registration_number"] == f"{season.unit_code}-2023-T0001"


async def test_concurrent_registrations_get_distinct_consecutive_numbers(
    intake: Intake, season: Season
):
    responses = await asyncio.gather(
        *(
            intake.client.post(
                "/api/groups", headers=season.applicant, json=group_body(group_name=f"小组{i}")
            )
            for i in range(8)
        )
    )
    assert [r.status_code for r in responses] == [201] * 8
    numbers = sorted(r.json()["registration_number"] for r in responses)
    assert numbers == [f"{season.unit_code}-2023-{n:04d}" for n in range(1, 9)]


async def test_register_group_without_a_leader_is_refused(intake: Intake, season: Season):
    response = await intake.client.post(
        "/api/groups",
        headers=season.applicant,
        json=group_body(members=[{"name": "次仁", "role": "成员"}]),
    )
    assert response.status_code == 422
    assert "须有且只有一名组长" in response.json()["detail"]
    assert (await intake.client.get("/api/groups", headers=season.applicant)).json() == []


async def test_topic_registered_later_gets_the_next_topic_number(intake: Intake, season: Season):
    group = (
        await intake.client.post("/api/groups", headers=season.applicant, json=group_body())
    ).json()
    topic = {"topic_name": "研制高原型配电自动化终端", "topic_type": "创新型"}
    response = await intake.client.post(
        f"/api/groups/{group['group_id']}/topics", headers=season.applicant, json=topic
    )
    other = await intake.client.post(
        f"/api/groups/{group['group_id']}/topics", headers=season.other_applicant, json=topic
    )
    assert response.status_code == 201, response.text
    assert response.json()["topics"][0]["registration_number"] == f"{season.unit_code}-2023-T0001"
    assert other.status_code == 403
