"""From submitted to awarded: screening, conflict-free assignment, scores, quota, national round."""

from __future__ import annotations

import asyncio

from shared.auth import Role
from tests.builders import unique
from tests.review.integration.chain import (
    accepted_entry,
    add_reviewer,
    forwarded_unit,
    score_all,
    scored_entry,
)
from tests.review.integration.conftest import ReviewService
from tests.review.support import (
    in_days,
    marks_for,
    outbox_events,
    outbox_payloads,
)


async def test_automatic_assignment_excludes_conflicts_and_trimmed_mean_drops_extremes(
    review: ReviewService,
):
    unit = await forwarded_unit(review, deadline_days=10, national_deadline_days=40, quota=1)
    own = await accepted_entry(review, unit, "ent-lhasa-power")
    other = await accepted_entry(review, unit, "ent-shigatse-cement")
    await add_reviewer(unit.secretary, f"{unit.unit_id}-insider", "ent-lhasa-power")
    await add_reviewer(unit.secretary, f"{unit.unit_id}-conflicted", "x", ("ent-shigatse-cement",))
    outsiders = [f"{unit.unit_id}-r{i}" for i in range(5)]
    for user_id in outsiders:
        await add_reviewer(unit.secretary, user_id, "ent-elsewhere")

    response = await unit.secretary.post(
        "/api/assignments/auto", {"per_entry": 5, "application_ids": [str(own), str(other)]}
    )

    assert response.status_code == 201, response.text
    assigned = response.json()
    reviewers_of = {
        app: {a["reviewer_user_id"] for a in assigned if a["application_id"] == str(app)}
        for app in (own, other)
    }
    assert f"{unit.unit_id}-insider" not in reviewers_of[own]
    assert f"{unit.unit_id}-conflicted" not in reviewers_of[other]
    assert [len(reviewers_of[own]), len(reviewers_of[other])] == [5, 5]
    load = [sum(a["reviewer_user_id"] == u for a in assigned) for u in outsiders]
    assert max(load) - min(load) <= 1
    assert len(await outbox_events(review.runtime, "reviewer.assigned", own)) == 5

    own_assignments = [a for a in assigned if a["application_id"] == str(own)]
    totals = dict(zip(sorted(reviewers_of[own]), ["60", "85.5", "86", "86.25", "99"], strict=True))
    await score_all(review, Role.UNIT_REVIEWER, unit.unit_id, own_assignments, totals)
    aggregated = await unit.secretary.post(
        f"/api/entries/{own}/aggregate", {"rule": "trimmed_mean", "spread_threshold": 20}
    )

    result = aggregated.json()
    assert (result["final_score"], result["method"], result["spread_alert"]) == (
        "85.92",
        "trimmed_mean",
        True,
    )
    [scored] = await outbox_events(review.runtime, "application.scored", own)
    assert (scored["final_score"], scored["score_count"], scored["aggregation"]) == (
        "85.92",
        5,
        "trimmed_mean",
    )


async def test_recused_reviewer_is_excluded_from_the_mean(review: ReviewService):
    unit = await forwarded_unit(review, deadline_days=10, national_deadline_days=40, quota=3)
    application_id = await accepted_entry(review, unit, "ent-a")
    assignments = []
    for user_id in (unique("rv"), unique("rv"), unique("rv")):
        await add_reviewer(unit.secretary, user_id, "ent-b")
        response = await unit.secretary.post(
            f"/api/entries/{application_id}/assignments", {"reviewer_user_id": user_id}
        )
        assignments.append(response.json())
    recusing = review.people.as_(
        Role.UNIT_REVIEWER, unit.unit_id, assignments[0]["reviewer_user_id"]
    )
    recused = await recusing.post(
        f"/api/assignments/{assignments[0]['assignment_id']}/recusal", {"reason": "曾指导该小组"}
    )
    assert recused.json()["status"] == "recused"
    await score_all(
        review,
        Role.UNIT_REVIEWER,
        unit.unit_id,
        assignments[1:],
        {assignments[1]["reviewer_user_id"]: "80", assignments[2]["reviewer_user_id"]: "91"},
    )

    result = (await unit.secretary.post(f"/api/entries/{application_id}/aggregate", {})).json()

    assert (result["final_score"], result["score_count"], result["method"]) == ("85.50", 2, "mean")


async def test_scores_are_checked_against_the_sheet_and_only_by_the_assigned_reviewer(
    review: ReviewService,
):
    unit = await forwarded_unit(review, deadline_days=10, national_deadline_days=40, quota=3)
    application_id = await accepted_entry(review, unit, "ent-a")
    user_id = unique("rv")
    await add_reviewer(unit.secretary, user_id, "ent-b")
    assignment = (
        await unit.secretary.post(
            f"/api/entries/{application_id}/assignments", {"reviewer_user_id": user_id}
        )
    ).json()
    url = f"/api/assignments/{assignment['assignment_id']}/scores"
    reviewer = review.people.as_(Role.UNIT_REVIEWER, unit.unit_id, user_id)

    too_high = await reviewer.post(url, {"marks": {**marks_for("70"), "cause_analysis": "31"}})
    somebody_else = await review.people.as_(Role.UNIT_REVIEWER, unit.unit_id).post(
        url, {"marks": marks_for("70")}
    )
    premature = await unit.secretary.post(f"/api/entries/{application_id}/aggregate", {})

    assert too_high.status_code == 422
    assert "评分项“原因分析”：31 超出范围" in too_high.json()["detail"]
    assert somebody_else.status_code == 403
    assert premature.status_code == 409
    assert user_id in premature.json()["detail"]
    assert (await reviewer.get("/api/entries")).json()[0]["application_id"] == str(application_id)


async def test_manual_assignment_of_the_entrys_own_enterprise_is_refused(review: ReviewService):
    unit = await forwarded_unit(review, deadline_days=10, national_deadline_days=40, quota=3)
    application_id = await accepted_entry(review, unit, "ent-lhasa")
    user_id = unique("rv")
    await add_reviewer(unit.secretary, user_id, "ent-lhasa")

    response = await unit.secretary.post(
        f"/api/entries/{application_id}/assignments", {"reviewer_user_id": user_id}
    )

    assert response.status_code == 409
    assert "来自申报企业本身" in response.json()["detail"]


async def test_two_units_full_chain_to_award_with_quota_and_over_quota_approval(
    review: ReviewService,
):
    tibet = await forwarded_unit(review, deadline_days=5, national_deadline_days=60, quota=1)
    sichuan = await forwarded_unit(review, deadline_days=20, national_deadline_days=60, quota=2)
    tibet_best = await scored_entry(review, tibet, "ent-t1", ["90", "92", "94"])
    tibet_second = await scored_entry(review, tibet, "ent-t2", ["80", "82"])
    sichuan_only = await scored_entry(review, sichuan, "ent-s1", ["88"])
    national = review.people.national()

    unjustified = await tibet.secretary.post(
        "/api/recommendations", {"application_ids": [str(tibet_best), str(tibet_second)]}
    )
    assert unjustified.status_code == 422
    assert "超名额说明" in unjustified.json()["detail"]

    recommended = await tibet.secretary.post(
        "/api/recommendations",
        {
            "application_ids": [str(tibet_second), str(tibet_best)],
            "justification": "该成果获自治区一等奖，申请增加一个名额。",
        },
    )
    assert [(e["application_id"], e["status"], e["rank"]) for e in recommended.json()] == [
        (str(tibet_best), "recommended", 1),
        (str(tibet_second), "pending_approval", 2),
    ]
    waiting = (await national.get(f"/api/entries/{tibet_second}")).json()
    assert (waiting["status"], waiting["over_quota"]) == ("pending_approval", True)
    approved = await national.post(
        f"/api/recommendations/{tibet_second}/approval", {"approve": True, "reason": "同意"}
    )
    assert approved.json()["status"] == "recommended"
    [over] = await outbox_events(review.runtime, "application.recommended", tibet_second)
    assert (over["final_score"], over["rank"], over["over_quota"]) == ("81.00", 2, True)

    within = await sichuan.secretary.post(
        "/api/recommendations", {"application_ids": [str(sichuan_only)]}
    )
    assert within.json()[0]["status"] == "recommended"

    national_pool = [unique("nat") for _ in range(2)]
    for user_id in national_pool:
        await add_reviewer(national, user_id, "caq-expert")
    for application_id, totals in (
        (tibet_best, ["95", "93"]),
        (tibet_second, ["70", "72"]),
        (sichuan_only, ["90", "91"]),
    ):
        # The national pool is shared by every test: assign this test's experts by hand.
        assignments = [
            (
                await national.post(
                    f"/api/entries/{application_id}/assignments", {"reviewer_user_id": user_id}
                )
            ).json()
            for user_id in national_pool
        ]
        await score_all(
            review,
            Role.NATIONAL_REVIEWER,
            "caq",
            assignments,
            dict(zip(national_pool, totals, strict=True)),
        )
        result = await national.post(f"/api/entries/{application_id}/aggregate", {})
        assert result.status_code == 200, result.text

    decided = await national.post(
        "/api/awards",
        {
            "decisions": [
                {"application_id": str(tibet_best), "decision": "awarded"},
                {"application_id": str(tibet_second), "decision": "not_awarded"},
                {"application_id": str(sichuan_only), "decision": "awarded"},
            ]
        },
    )
    assert [e["status"] for e in decided.json()] == ["awarded", "not_awarded", "awarded"]
    [award] = await outbox_events(review.runtime, "application.awarded", tibet_best)
    assert award["certificate_serial"].startswith("QC2023-")
    assert (award["year"], award["title"]) == (2023, "全国优秀质量管理小组")
    entry = (await national.get(f"/api/entries/{tibet_best}")).json()
    assert (award["group_name"], award["enterprise_name"], award["topic_name"]) == (
        entry["group_name"],
        entry["enterprise_name"],
        entry["topic_name"],
    )
    assert entry["national_score"] == "94.00"
    assert len(await outbox_events(review.runtime, "application.not_awarded", tibet_second)) == 1
    serials = {e["certificate_serial"] for e in decided.json() if e["certificate_serial"]}
    assert len(serials) == 2

    table = await national.post(
        "/api/tables", {"table_kind": "review_summary", "campaign_id": "2023"}
    )
    assert table.status_code == 202, table.text
    [requested] = [
        p
        for p in await outbox_payloads(review.runtime, "table.requested")
        if p["request_id"] == table.json()["request_id"]
    ]
    assert (requested["unit_id"], requested["unit_name"]) == (None, "中国质量协会")
    ours = {r["group_name"]: r for r in requested["rows"]}
    assert (ours[entry["group_name"]]["final_score"], ours[entry["group_name"]]["conclusion"]) == (
        "94.00",
        "授予全国优秀质量管理小组",
    )
    assert ours[entry["group_name"]]["expert_scores"] == "95.00、93.00"


async def test_recommending_after_the_national_deadline_is_refused(review: ReviewService):
    late = await forwarded_unit(review, deadline_days=-30, national_deadline_days=-0.01, quota=5)
    application_id = await scored_entry(review, late, "ent-a", ["80"])

    response = await late.secretary.post(
        "/api/recommendations", {"application_ids": [str(application_id)]}
    )

    assert response.status_code == 409
    assert "推荐截止时间（北京时间" in response.json()["detail"]
    entry = (await late.secretary.get(f"/api/entries/{application_id}")).json()
    assert entry["status"] == "scored"


async def test_an_extension_by_the_national_office_reopens_recommending(review: ReviewService):
    late = await forwarded_unit(review, deadline_days=-30, national_deadline_days=-0.01, quota=5)
    application_id = await scored_entry(review, late, "ent-a", ["80"])
    national = review.people.national()
    url = f"/api/units/{late.unit_id}/campaigns/2023/national-deadline"

    without_reason = await national.put(url, {"national_deadline_at": in_days(3).isoformat()})
    earlier = await national.put(
        url, {"national_deadline_at": in_days(-1).isoformat(), "reason": "补报"}
    )
    by_unit = await late.secretary.put(
        url, {"national_deadline_at": in_days(3).isoformat(), "reason": "补报"}
    )
    extended = await national.put(
        url, {"national_deadline_at": in_days(3).isoformat(), "reason": "地震灾区延期"}
    )
    response = await late.secretary.post(
        "/api/recommendations", {"application_ids": [str(application_id)]}
    )

    assert (without_reason.status_code, earlier.status_code, by_unit.status_code) == (422, 422, 403)
    assert "理由" in without_reason.json()["detail"]
    assert "新的截止时间" in earlier.json()["detail"]
    assert extended.status_code == 200, extended.text
    assert response.json()[0]["status"] == "recommended"
    audit = (await national.get("/api/audit", unit_id=late.unit_id)).json()
    [extension] = [a for a in audit if a["action"] == "deadline.extended"]
    assert (extension["reason"], extension["actor_id"]) == (
        "地震灾区延期",
        national.principal.user_id,
    )


async def test_recommending_without_a_quota_is_refused(review: ReviewService):
    unit = await forwarded_unit(review, deadline_days=5, national_deadline_days=30, quota=None)
    application_id = await scored_entry(review, unit, "ent-a", ["80"])
    response = await unit.secretary.post(
        "/api/recommendations", {"application_ids": [str(application_id)]}
    )
    assert response.status_code == 409
    assert "名额" in response.json()["detail"]


async def test_disqualification_cascades_and_blocks_new_recommendations(review: ReviewService):
    unit = await forwarded_unit(review, deadline_days=5, national_deadline_days=30, quota=1)
    recommended = await scored_entry(review, unit, "ent-a", ["90"])
    pending = await scored_entry(review, unit, "ent-b", ["85"])
    later = await scored_entry(review, unit, "ent-c", ["84"])
    await unit.secretary.post(
        "/api/recommendations",
        {"application_ids": [str(recommended), str(pending)], "justification": "申请增加名额"},
    )
    national = review.people.national()

    response = await national.post(
        f"/api/units/{unit.unit_id}/campaigns/2023/disqualification",
        {"reason": "向参评企业收取评审费"},
    )

    assert sorted(e["application_id"] for e in response.json()) == sorted(
        [str(recommended), str(pending)]
    )
    for application_id in (recommended, pending):
        [event] = await outbox_events(review.runtime, "application.disqualified", application_id)
        assert event["reason"] == "向参评企业收取评审费"
    refused = await unit.secretary.post("/api/recommendations", {"application_ids": [str(later)]})
    assert refused.status_code == 403
    assert "取消本年度推荐资格" in refused.json()["detail"]
    audit = (await national.get("/api/audit", unit_id=unit.unit_id)).json()
    assert "unit.disqualified" in [a["action"] for a in audit]


async def test_public_notice_holds_decisions_until_objections_are_handled(review: ReviewService):
    unit = await forwarded_unit(review, deadline_days=5, national_deadline_days=30, quota=1)
    application_id = await scored_entry(review, unit, "ent-a", ["90"])
    await unit.secretary.post("/api/recommendations", {"application_ids": [str(application_id)]})
    national = review.people.national()
    user_id = unique("nat")
    await add_reviewer(national, user_id, "caq")
    assigned = await national.post(
        f"/api/entries/{application_id}/assignments", {"reviewer_user_id": user_id}
    )
    assignment = assigned.json()
    await score_all(review, Role.NATIONAL_REVIEWER, "caq", [assignment], {user_id: "91"})
    await national.post(f"/api/entries/{application_id}/aggregate", {})
    notice_until = in_days(2.0 / 86400)

    decided = await national.post(
        "/api/awards",
        {
            "decisions": [{"application_id": str(application_id), "decision": "awarded"}],
            "public_notice_until": notice_until.isoformat(),
        },
    )
    assert decided.json()[0]["status"] == "public_notice"
    objection = await national.post(
        f"/api/entries/{application_id}/objections",
        {"raised_by": "某企业职工", "text": "成果数据与实际不符"},
    )
    assert objection.status_code == 201, objection.text
    early = await national.post("/api/awards/finalise", {"application_ids": [str(application_id)]})
    assert early.status_code == 409

    await asyncio.sleep(max((notice_until - in_days(0)).total_seconds(), 0) + 0.1)
    still_open = await national.post(
        "/api/awards/finalise", {"application_ids": [str(application_id)]}
    )
    assert "异议未处理" in still_open.json()["detail"]
    await national.post(
        f"/api/objections/{objection.json()['objection_id']}/resolution",
        {"upheld": True, "resolution": "经核实数据有误"},
    )
    final = await national.post("/api/awards/finalise", {"application_ids": [str(application_id)]})

    assert final.json()[0]["status"] == "not_awarded"
    assert await outbox_events(review.runtime, "application.awarded", application_id) == []
    assert len(await outbox_events(review.runtime, "application.not_awarded", application_id)) == 1
