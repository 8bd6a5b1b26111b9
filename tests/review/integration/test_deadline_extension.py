"""A unit's deadline extension (from intake) reaches review's record of the unit."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from services.review.service import UnknownUnitCampaignError
from shared.events import CampaignDeadlineExtended
from tests.review.integration.chain import forwarded_unit
from tests.review.integration.conftest import ReviewService
from tests.review.support import in_days


def extended(unit_id: str, *, previous: datetime, new: datetime) -> CampaignDeadlineExtended:
    return CampaignDeadlineExtended(
        campaign_id="2023",
        extension_id=uuid.uuid4(),
        unit_id=unit_id,
        unit_name=f"{unit_id}质量协会",
        previous_deadline_at=previous,
        new_deadline_at=new,
        reason="部分企业受雪灾影响",
        extended_by="xizang-secretary",
        extended_at=in_days(0),
    )


async def unit_deadline(review: ReviewService, unit_id: str) -> datetime:
    response = await review.people.national().get("/api/units")
    assert response.status_code == 200, response.text
    (unit,) = [u for u in response.json() if u["unit_id"] == unit_id]
    return datetime.fromisoformat(unit["deadline_at"])


async def test_an_extension_moves_the_deadline_and_a_late_older_one_does_not_undo_it(
    review: ReviewService,
):
    unit = await forwarded_unit(review, deadline_days=5, national_deadline_days=20, quota=None)
    first, second = in_days(10), in_days(15)

    await review.deliver(extended(unit.unit_id, previous=in_days(5), new=second))
    await review.deliver(extended(unit.unit_id, previous=in_days(5), new=first))  # arrives late

    assert await unit_deadline(review, unit.unit_id) == second


async def test_an_extension_before_its_forwarding_is_refused_for_redelivery(
    review: ReviewService,
):
    with pytest.raises(UnknownUnitCampaignError):
        await review.deliver(
            extended(f"unit-{uuid.uuid4().hex[:6]}", previous=in_days(1), new=in_days(3))
        )
