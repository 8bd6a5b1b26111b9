"""The package pages in headless Debian Chromium against review running as a real process."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from shared.auth import Principal, Role, issue_token
from shared.events import Contact, Event
from tests.builders import unique
from tests.review.support import campaign_forwarded, in_days
from tests.support.browser import chromium, publish_events
from tests.support.infra import Infra
from tests.support.platform import Platform, wait_for

STATISTICS = {
    "employees": "800",
    "groups_cumulative": "120",
    "groups_registered": "30",
    "groups_active": "24",
    "achievements": "12",
    "participants": "260",
}


@pytest.fixture(scope="module")
def review_process(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with infra.isolated() as own:
        running = Platform(
            own, 1, bucket=unique("package"), data_dir=tmp_path_factory.mktemp("package")
        )
        yield running.start("review")
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def open_as(platform: Platform, browser: Browser, role: Role, org_id: str, path: str) -> Page:
    secret = platform.env("review")["QCFLOW_AUTH_SECRET"]
    principal = Principal(user_id=unique("user"), role=role, org_id=org_id, name="次仁")
    token = issue_token(principal, secret=secret, ttl_s=3600)
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{platform.url('review')}{path}#token={token}")
    return page


def publish(platform: Platform, event: Event) -> None:
    publish_events(platform.infra.amqp_url(), event)


def forwarded_unit(platform: Platform) -> tuple[str, str]:
    unit_id = unique("unit")
    unit_name = f"{unit_id}质量协会"
    event = campaign_forwarded(
        unit_id=unit_id,
        unit_name=unit_name,
        deadline_at=in_days(5),
        national_deadline_at=in_days(30),
    ).model_copy(update={"unit_contacts": (Contact(name="次仁", email="c@example.cn"),)})
    publish(platform, event)
    secret = platform.env("review")["QCFLOW_AUTH_SECRET"]
    principal = Principal(user_id="n", role=Role.NATIONAL_SECRETARY, org_id="caq", name="n")
    headers = {"Authorization": f"Bearer {issue_token(principal, secret=secret, ttl_s=60)}"}

    def forwarded() -> bool:
        path = f"/api/units/{unit_id}/campaigns/2023/package"
        return httpx.get(platform.url("review") + path, headers=headers).is_success

    wait_for(forwarded, timeout_s=20)
    return unit_id, unit_name


def test_a_unit_enters_its_statistics_and_the_office_reminds_it(
    review_process: Platform, browser: Browser
):
    unit_id, unit_name = forwarded_unit(review_process)
    unit = open_as(review_process, browser, Role.UNIT_SECRETARY, unit_id, "/console/package")

    expect(unit.locator(".heading")).to_have_text(f"{unit_name} · 2023年度")
    expect(unit.locator(".parts .missing")).to_have_count(4)
    expect(unit.locator(".headings")).to_contain_text("六、下一年工作计划")
    first = unit.locator(".statistics tr").first
    first.locator("[data-key=enterprise_name]").fill("拉萨供电公司")
    for key, value in {**STATISTICS, "groups_active": "31"}.items():
        first.locator(f"[data-key={key}]").fill(value)
    unit.get_by_role("button", name="保存并生成活动统计表").click()
    expect(unit.locator("#message")).to_contain_text("本年度开展活动QC小组数 31 不能大于")

    first.locator("[data-key=groups_active]").fill("24")
    unit.get_by_role("button", name="保存并生成活动统计表").click()
    expect(unit.locator("#message")).to_contain_text("统计数据已保存")
    expect(unit.locator(".statistics tr").first).to_contain_text("40.00%")
    unit.get_by_role("button", name="提交推荐材料包").click()
    expect(unit.locator("#message")).to_contain_text("推荐材料包不完整")

    national = open_as(review_process, browser, Role.NATIONAL_SECRETARY, "caq", "/console/packages")
    expect(national.locator("#units")).to_contain_text(unit_name)
    national.locator("#campaign").fill("2023")
    national.locator("#reminder-message").fill("请于截止前提交")
    national.get_by_role("button", name="提醒尚未提交的推荐单位").click()
    expect(national.locator("#message")).to_contain_text("已提醒")
