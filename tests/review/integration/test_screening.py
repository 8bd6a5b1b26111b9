"""形式审查: accept, return with reasons and a deadline, reject; every decision audited."""

from __future__ import annotations

from shared.events import ApplicationResubmitted, ApplicationSubmitted
from tests.builders import unique
from tests.review.integration.conftest import ReviewService
from tests.review.support import in_days, outbox_events, submitted_event


async def arrived(review: ReviewService, unit: str) -> ApplicationSubmitted:
    event = submitted_event(unit_id=unit, enterprise_id="xz-power")
    await review.deliver(event)
    return event


async def test_accepting_publishes_accepted_and_audits_it(review: ReviewService):
    unit = unique("xizang")
    event = await arrived(review, unit)
    secretary = review.people.secretary(unit)

    response = await secretary.post(
        f"/api/entries/{event.application_id}/screening",
        {"outcome": "accept", "comment": "材料齐全"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"
    [accepted] = await outbox_events(review.runtime, "application.accepted", event.application_id)
    assert (accepted["decided_by"], accepted["comment"]) == (
        secretary.principal.user_id,
        "材料齐全",
    )
    audit = (await secretary.get("/api/audit", application_id=str(event.application_id))).json()
    assert [(a["action"], a["actor_id"], a["reason"]) for a in audit] == [
        ("screening.accept", secretary.principal.user_id, "材料齐全")
    ]


async def test_return_carries_reasons_and_deadline_and_resubmission_reopens_screening(
    review: ReviewService,
):
    unit = unique("xizang")
    event = await arrived(review, unit)
    secretary = review.people.secretary(unit)
    deadline = in_days(7).isoformat()

    response = await secretary.post(
        f"/api/entries/{event.application_id}/screening",
        {
            "outcome": "return",
            "reasons": [
                {"code": "missing_sealed_form"},
                {"code": "name_mismatch", "note": "公章为“国网西藏电力有限公司”"},
            ],
            "correction_deadline_at": deadline,
        },
    )

    assert response.json()["status"] == "returned"
    [returned] = await outbox_events(review.runtime, "application.returned", event.application_id)
    assert [(r["code"], r["label"]) for r in returned["reasons"]] == [
        ("missing_sealed_form", "缺少盖章申报表"),
        ("name_mismatch", "企业名称与公章不一致"),
    ]
    assert returned["correction_deadline_at"].startswith(deadline[:16])

    await review.deliver(
        ApplicationResubmitted(**{**event.model_dump(exclude={"event_id", "type"}), "revision": 2})
    )
    entry = (await secretary.get(f"/api/entries/{event.application_id}")).json()
    assert (entry["status"], entry["revision"]) == ("awaiting_screening", 2)


async def test_rejecting_publishes_rejected(review: ReviewService):
    unit = unique("xizang")
    event = await arrived(review, unit)
    response = await review.people.secretary(unit).post(
        f"/api/entries/{event.application_id}/screening",
        {"outcome": "reject", "reasons": [{"code": "other", "note": "非本年度成果"}]},
    )
    assert response.json()["status"] == "rejected"
    [rejected] = await outbox_events(review.runtime, "application.rejected", event.application_id)
    assert rejected["reasons"] == [{"code": "other", "label": "其他", "note": "非本年度成果"}]


async def test_bad_screening_input_is_refused_with_the_field_named_and_nothing_changes(
    review: ReviewService,
):
    unit = unique("xizang")
    event = await arrived(review, unit)
    secretary = review.people.secretary(unit)
    url = f"/api/entries/{event.application_id}/screening"
    cases = [
        ({"outcome": "return", "reasons": [{"code": "missing_sealed_form"}]}, "修改截止时间"),
        (
            {"outcome": "return", "reasons": [], "correction_deadline_at": in_days(3).isoformat()},
            "审查原因",
        ),
        ({"outcome": "reject", "reasons": [{"code": "no_such_reason"}]}, "审查原因"),
        ({"outcome": "reject", "reasons": [{"code": "other"}]}, "其他"),
        (
            {
                "outcome": "return",
                "reasons": [{"code": "incomplete_form"}],
                "correction_deadline_at": in_days(-1).isoformat(),
            },
            "修改截止时间",
        ),
        ({"outcome": "approve"}, "审查结论"),
        ({"outcome": "accept", "extra": 1}, "extra"),
    ]
    for body, field in cases:
        response = await secretary.post(url, body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.json()["detail"], (body, response.text)

    entry = (await secretary.get(f"/api/entries/{event.application_id}")).json()
    assert entry["status"] == "awaiting_screening"
    assert (
        await secretary.get("/api/audit", application_id=str(event.application_id))
    ).json() == []


async def test_screening_twice_is_a_conflict(review: ReviewService):
    unit = unique("xizang")
    event = await arrived(review, unit)
    secretary = review.people.secretary(unit)
    url = f"/api/entries/{event.application_id}/screening"
    await secretary.post(url, {"outcome": "accept"})

    again = await secretary.post(
        url, {"outcome": "reject", "reasons": [{"code": "other", "note": "x"}]}
    )

    assert again.status_code == 409
    assert "评审中" in again.json()["detail"]


async def test_the_checklist_lists_codes_with_chinese_labels(review: ReviewService):
    reasons = (await review.people.secretary(unique("xizang")).get("/api/screening/reasons")).json()
    assert {"code": "missing_sealed_form", "label": "缺少盖章申报表"} in reasons
    assert {"code": "name_mismatch", "label": "企业名称与公章不一致"} in reasons
