"""Every endpoint refuses another unit's staff (and non-national staff on national actions): 403."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from shared.auth import Role
from tests.builders import unique
from tests.review.integration.conftest import ReviewService
from tests.review.support import (
    campaign_forwarded,
    evidence_file,
    in_days,
    marks_for,
    submitted_event,
)


@dataclass(frozen=True)
class Subject:
    unit_id: str
    application_id: uuid.UUID
    assignment_id: str
    objection_id: uuid.UUID
    file_id: uuid.UUID


@pytest.fixture(scope="module")
async def subject(review: ReviewService) -> Subject:
    """An accepted entry of one unit, with one open assignment."""
    unit_id = unique("owner")
    await review.deliver(
        campaign_forwarded(
            unit_id=unit_id, deadline_at=in_days(5), national_deadline_at=in_days(30)
        )
    )
    evidence = evidence_file()
    event = submitted_event(unit_id=unit_id, enterprise_id="ent-owner", evidence=(evidence,))
    await review.deliver(event)
    secretary = review.people.secretary(unit_id)
    await secretary.post(f"/api/entries/{event.application_id}/screening", {"outcome": "accept"})
    reviewer_id = unique("rv")
    await secretary.put(
        "/api/reviewers",
        {"user_id": reviewer_id, "name": "专家", "email": "r@example.com", "enterprise_id": "x"},
    )
    assignment = await secretary.post(
        f"/api/entries/{event.application_id}/assignments", {"reviewer_user_id": reviewer_id}
    )
    return Subject(
        unit_id,
        event.application_id,
        assignment.json()["assignment_id"],
        uuid.uuid4(),
        evidence.file_id,
    )


UNIT_ENDPOINTS = [
    ("GET", "/api/entries/{app}", None),
    ("GET", "/api/entries/{app}/revisions", None),
    ("GET", "/api/entries/{app}/files", None),
    ("GET", "/api/entries/{app}/files/{file}", None),
    ("POST", "/api/entries/{app}/screening", {"outcome": "accept"}),
    ("POST", "/api/entries/{app}/assignments", {"reviewer_user_id": "anyone"}),
    ("POST", "/api/assignments/auto", {"per_entry": 1, "application_ids": ["{app}"]}),
    ("POST", "/api/assignments/{assignment}/scores", {"marks": marks_for("80")}),
    ("POST", "/api/assignments/{assignment}/recusal", {"reason": "回避"}),
    ("POST", "/api/entries/{app}/aggregate", {}),
    ("POST", "/api/recommendations", {"application_ids": ["{app}"], "justification": "x"}),
    ("GET", "/api/audit?unit_id={unit}", None),
]
NATIONAL_ENDPOINTS = [
    ("PUT", "/api/units/{unit}/campaigns/2023/quota", {"quota": 3}),
    (
        "PUT",
        "/api/units/{unit}/campaigns/2023/national-deadline",
        {"national_deadline_at": "2099-01-01T00:00:00+08:00", "reason": "延期"},
    ),
    ("POST", "/api/recommendations/{app}/approval", {"approve": True}),
    ("POST", "/api/awards", {"decisions": [{"application_id": "{app}", "decision": "awarded"}]}),
    ("POST", "/api/awards/finalise", {"application_ids": ["{app}"]}),
    ("POST", "/api/entries/{app}/objections", {"raised_by": "某人", "text": "异议"}),
    ("POST", "/api/objections/{objection}/resolution", {"upheld": False, "resolution": "不成立"}),
    ("POST", "/api/units/{unit}/campaigns/2023/disqualification", {"reason": "收费"}),
]
OUTSIDERS = [
    ("another unit's secretary", Role.UNIT_SECRETARY, "other-unit"),
    ("another unit's reviewer", Role.UNIT_REVIEWER, "other-unit"),
]
UNIT_STAFF = [
    ("the unit's own secretary", Role.UNIT_SECRETARY, "{unit}"),
    ("the unit's own reviewer", Role.UNIT_REVIEWER, "{unit}"),
    ("a national reviewer", Role.NATIONAL_REVIEWER, "caq"),
]


def fill(value: object, subject: Subject) -> object:
    if isinstance(value, str):
        return (
            value.replace("{app}", str(subject.application_id))
            .replace("{unit}", subject.unit_id)
            .replace("{assignment}", subject.assignment_id)
            .replace("{objection}", str(subject.objection_id))
            .replace("{file}", str(subject.file_id))
        )
    if isinstance(value, list):
        return [fill(item, subject) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, subject) for key, item in value.items()}
    return value


@pytest.mark.parametrize(("who", "role", "org"), OUTSIDERS)
@pytest.mark.parametrize(("method", "path", "body"), UNIT_ENDPOINTS)
async def test_unit_endpoints_refuse_other_units(
    review: ReviewService,
    subject: Subject,
    who: str,
    role: Role,
    org: str,
    method: str,
    path: str,
    body: object,
):
    await assert_forbidden(review, subject, role, org, method, path, body, who)


# National staff may read every audit log; everything else on an unrecommended entry is refused.
@pytest.mark.parametrize(("method", "path", "body"), UNIT_ENDPOINTS[:-1])
async def test_national_staff_cannot_act_on_entries_not_recommended(
    review: ReviewService, subject: Subject, method: str, path: str, body: object
):
    await assert_forbidden(
        review, subject, Role.NATIONAL_SECRETARY, "caq", method, path, body, "national staff"
    )


@pytest.mark.parametrize(("who", "role", "org"), OUTSIDERS + UNIT_STAFF)
@pytest.mark.parametrize(("method", "path", "body"), NATIONAL_ENDPOINTS)
async def test_national_endpoints_refuse_everyone_but_national_staff(
    review: ReviewService,
    subject: Subject,
    who: str,
    role: Role,
    org: str,
    method: str,
    path: str,
    body: object,
):
    await assert_forbidden(review, subject, role, org, method, path, body, who)


async def assert_forbidden(
    review: ReviewService,
    subject: Subject,
    role: Role,
    org: str,
    method: str,
    path: str,
    body: object,
    who: str,
) -> None:
    client = review.people.as_(role, str(fill(org, subject)))
    response = await client.http.request(
        method, str(fill(path, subject)), headers=client.headers, json=fill(body, subject)
    )
    assert response.status_code == 403, (who, method, path, response.text)
    detail = response.json()["detail"]
    assert any("\u4e00" <= char <= "\u9fff" for char in detail), detail
    entry = (
        await review.people.secretary(subject.unit_id).get(f"/api/entries/{subject.application_id}")
    ).json()
    assert entry["status"] == "accepted"


async def test_requests_without_a_token_are_401(review: ReviewService, subject: Subject):
    response = await review.people.http.get(f"/api/entries/{subject.application_id}")
    assert response.status_code == 401
    assert response.json()["detail"] == "请先登录。"
