"""Steps of the chain that several tests need: a forwarded unit, accepted and scored entries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from shared.auth import Role
from tests.builders import unique
from tests.review.integration.conftest import ReviewService
from tests.review.support import (
    ReviewClient,
    campaign_forwarded,
    in_days,
    marks_for,
    submitted_event,
)


@dataclass
class Unit:
    unit_id: str
    secretary: ReviewClient
    campaign_id: str


async def forwarded_unit(
    review: ReviewService, *, deadline_days: float, national_deadline_days: float, quota: int | None
) -> Unit:
    unit_id = unique("unit")
    campaign_id = "2023"
    await review.deliver(
        campaign_forwarded(
            unit_id=unit_id,
            unit_name=f"{unit_id}质量协会",
            deadline_at=in_days(deadline_days),
            national_deadline_at=in_days(national_deadline_days),
        )
    )
    if quota is not None:
        response = await review.people.national().put(
            f"/api/units/{unit_id}/campaigns/{campaign_id}/quota", {"quota": quota}
        )
        assert response.status_code == 200, response.text
    return Unit(unit_id, review.people.secretary(unit_id), campaign_id)


async def accepted_entry(review: ReviewService, unit: Unit, enterprise_id: str) -> uuid.UUID:
    event = submitted_event(unit_id=unit.unit_id, enterprise_id=enterprise_id)
    await review.deliver(event)
    response = await unit.secretary.post(
        f"/api/entries/{event.application_id}/screening", {"outcome": "accept"}
    )
    assert response.status_code == 200, response.text
    return event.application_id


async def add_reviewer(
    secretary: ReviewClient, user_id: str, enterprise_id: str, conflicts: tuple[str, ...] = ()
) -> None:
    response = await secretary.put(
        "/api/reviewers",
        {
            "user_id": user_id,
            "name": f"专家{user_id[-4:]}",
            "email": f"{user_id}@example.com",
            "enterprise_id": enterprise_id,
            "conflict_enterprise_ids": list(conflicts),
        },
    )
    assert response.status_code == 200, response.text


async def score_all(
    review: ReviewService,
    role: Role,
    org_id: str,
    assignments: list[dict[str, Any]],
    totals: dict[str, str],
) -> None:
    for assignment in assignments:
        reviewer = review.people.as_(role, org_id, assignment["reviewer_user_id"])
        response = await reviewer.post(
            f"/api/assignments/{assignment['assignment_id']}/scores",
            {"marks": marks_for(totals[assignment["reviewer_user_id"]], assignment["sheet_id"])},
        )
        assert response.status_code == 200, response.text


async def scored_entry(
    review: ReviewService, unit: Unit, enterprise_id: str, totals: list[str]
) -> uuid.UUID:
    """An accepted entry scored by len(totals) freshly added reviewers."""
    application_id = await accepted_entry(review, unit, enterprise_id)
    reviewers = [unique("rv") for _ in totals]
    assignments = []
    for user_id in reviewers:
        await add_reviewer(unit.secretary, user_id, unique("ent"))
        response = await unit.secretary.post(
            f"/api/entries/{application_id}/assignments", {"reviewer_user_id": user_id}
        )
        assignments.append(response.json())
    await score_all(
        review,
        Role.UNIT_REVIEWER,
        unit.unit_id,
        assignments,
        dict(zip(reviewers, totals, strict=True)),
    )
    response = await unit.secretary.post(f"/api/entries/{application_id}/aggregate", {})
    assert response.status_code == 200, response.text
    return application_id
