"""The reviewer console in headless Debian Chromium against review running as a real process."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from shared.auth import Principal, Role, issue_token
from shared.events import Event
from tests.builders import unique
from tests.review.support import campaign_forwarded, in_days, marks_for, submitted_event
from tests.support.browser import chromium, publish_events
from tests.support.infra import Infra
from tests.support.platform import Platform, wait_for


@pytest.fixture(scope="module")
def review_process(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with infra.isolated() as own:
        running = Platform(
            own, 1, bucket=unique("console"), data_dir=tmp_path_factory.mktemp("console")
        )
        yield running.start("review")
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


class Person:
    def __init__(self, platform: Platform, role: Role, org_id: str, user_id: str) -> None:
        secret = platform.env("review")["QCFLOW_AUTH_SECRET"]
        principal = Principal(user_id=user_id, role=role, org_id=org_id, name=user_id)
        self.user_id = user_id
        self.token = issue_token(principal, secret=secret, ttl_s=3600)
        self.base = platform.url("review")
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def api(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, self.base + path, headers=self.headers, json=body)
        assert response.is_success, response.text
        return response.json()

    def open(self, browser: Browser, path: str) -> Page:
        page = browser.new_context(locale="zh-CN").new_page()
        page.goto(f"{self.base}{path}#token={self.token}")
        return page


def publish(platform: Platform, *events: Event) -> None:
    publish_events(platform.infra.amqp_url(), *events)


def test_console_takes_an_entry_from_screening_to_award(review_process: Platform, browser: Browser):
    unit = unique("xizang")
    solving = submitted_event(unit_id=unit, enterprise_id="ent-lhasa")
    innovation = submitted_event(unit_id=unit, enterprise_id="ent-nyingchi", topic_type="创新型")
    publish(
        review_process,
        campaign_forwarded(
            unit_id=unit,
            unit_name=f"{unit}质量协会",
            deadline_at=in_days(5),
            national_deadline_at=in_days(60),
        ),
        solving,
        innovation,
    )
    secretary = Person(review_process, Role.UNIT_SECRETARY, unit, unique("sec"))
    reviewer = Person(review_process, Role.UNIT_REVIEWER, unit, unique("expert"))
    national = Person(review_process, Role.NATIONAL_SECRETARY, "caq", unique("caq"))
    wait_for(lambda: len(secretary.api("GET", "/api/entries")) == 2, 30)
    add_to_pool(browser, secretary, reviewer.user_id)

    screen_and_assign(browser, secretary, solving.application_id, innovation.form.group_name)
    score_in_the_sheet(browser, reviewer)
    aggregate_and_recommend(browser, secretary, national, unit, solving.application_id)
    score_nationally(review_process, national, solving.application_id)
    award(browser, national, solving.form.group_name)


def add_to_pool(browser: Browser, secretary: Person, user_id: str) -> None:
    pool = secretary.open(browser, "/console/reviewers")
    for name, value in {
        "user_id": user_id,
        "name": "达瓦",
        "email": "dawa@example.com",
        "enterprise_id": "ent-other",
        "conflict_enterprise_ids": "ent-nyingchi，ent-shannan",
    }.items():
        pool.fill(f"#reviewer-form [name={name}]", value)
    pool.click("#reviewer-form button[type=submit]")
    expect(pool.locator("#message")).to_have_text("已保存专家 达瓦。")
    expect(pool.locator("#reviewers tr")).to_contain_text(["ent-nyingchi、ent-shannan"])


def screen_and_assign(
    browser: Browser, secretary: Person, application_id: uuid.UUID, innovation_group: str
) -> None:
    queue = secretary.open(browser, "/console")
    expect(queue.locator("#entries tr")).to_have_count(2)
    queue.select_option("[name=topic_type]", "创新型")
    queue.click("#filters button[type=submit]")
    expect(queue.locator("#entries tr")).to_have_count(1)
    expect(queue.locator("#entries")).to_contain_text(innovation_group)

    entry = secretary.open(browser, f"/console/entries/{application_id}")
    expect(entry.locator("[data-field=状态]")).to_have_text("待形式审查")
    entry.click("#screening button[data-outcome=return]")
    expect(entry.locator("#message")).to_contain_text("审查原因")
    entry.click("#screening button[data-outcome=accept]")
    expect(entry.locator("[data-field=状态]")).to_have_text("评审中")
    expect(entry.locator("#reviewer option")).to_have_count(1)
    entry.click("#assign-reviewer")
    expect(entry.locator("#assignments tr")).to_have_count(1)
    entry.reload()
    expect(entry.locator("#audit tr")).to_have_count(2)
    expect(entry.locator("#audit")).to_contain_text("形式审查：受理")


def score_in_the_sheet(browser: Browser, reviewer: Person) -> None:
    [assignment] = reviewer.api("GET", "/api/assignments")
    sheet = reviewer.open(browser, f"/console/assignments/{assignment['assignment_id']}")
    expect(sheet.locator("#criteria tr")).to_have_count(6)
    sheet.click("#score-form button[type=submit]")
    expect(sheet.locator("#message")).to_have_text("评分项“选题”：必填，请打分。")
    marks = marks_for("87.5")
    for code, mark in marks.items():
        sheet.fill(f"[name={code}]", mark)
    sheet.fill("[name=cause_analysis]", "31")
    sheet.click("#score-form button[type=submit]")
    expect(sheet.locator("#message")).to_contain_text("评分项“原因分析”：31 超出范围")
    sheet.fill("[name=cause_analysis]", marks["cause_analysis"])
    expect(sheet.locator("#running-total")).to_have_text("87.50")
    sheet.fill("[name=comment-effect]", "效益数据翔实")
    sheet.click("#score-form button[type=submit]")
    expect(sheet.locator("#message")).to_have_text("评分已提交，合计 87.50 分。")


def aggregate_and_recommend(
    browser: Browser, secretary: Person, national: Person, unit: str, application_id: uuid.UUID
) -> None:
    entry = secretary.open(browser, f"/console/entries/{application_id}")
    entry.click("#aggregate")
    expect(entry.locator("#aggregate-result")).to_contain_text("最终得分 87.50")

    quotas = national.open(browser, "/console/quotas")
    quota_row = quotas.locator("#units tr", has_text=f"{unit}质量协会")
    quota_row.locator("input").fill("1")
    quota_row.get_by_role("button", name="保存").click()
    expect(quotas.locator("#message")).to_contain_text("名额已设为 1")

    recommend = secretary.open(browser, "/console/recommendations")
    recommend.locator("#candidates input[type=checkbox]").check()
    recommend.click("#recommend")
    expect(recommend.locator("#message")).to_have_text("已推荐 1 项，待批准 0 项。")


def score_nationally(platform: Platform, national: Person, application_id: uuid.UUID) -> None:
    expert = Person(platform, Role.NATIONAL_REVIEWER, "caq", unique("nat"))
    national.api(
        "PUT",
        "/api/reviewers",
        {
            "user_id": expert.user_id,
            "name": "王工",
            "email": "w@example.com",
            "enterprise_id": "caq",
        },
    )
    task = national.api(
        "POST", f"/api/entries/{application_id}/assignments", {"reviewer_user_id": expert.user_id}
    )
    expert.api(
        "POST", f"/api/assignments/{task['assignment_id']}/scores", {"marks": marks_for("92")}
    )
    national.api("POST", f"/api/entries/{application_id}/aggregate", {})


def award(browser: Browser, national: Person, group_name: str) -> None:
    awards = national.open(browser, "/console/awards")
    row = awards.locator("#national-entries tr", has_text=group_name)
    row.locator("input[type=checkbox]").check()
    awards.click("button[data-decision=awarded]")
    expect(awards.locator("#message")).to_have_text("已作出 1 项决定。")
    expect(row).to_contain_text("全国优秀质量管理小组")
    expect(row).to_contain_text("QC2023-")
