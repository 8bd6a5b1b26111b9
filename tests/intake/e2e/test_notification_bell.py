"""The notification bell on the applicant's pages: Debian Chromium, intake and notify as processes.

The page (intake's origin) calls notify's API on another origin with the login token; notify
turns a real `campaign.forwarded` from the broker into in-app notifications for the demo user.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from shared.events import CampaignForwarded, Contact, Event, MemberEnterprise
from tests.builders import unique
from tests.support.browser import chromium, publish_events
from tests.support.infra import ROOT, Infra
from tests.support.platform import Platform, wait_for
from tests.support.smtp import SmtpServer

DEMO_PASSWORD = "bell-demo-password"
APPLICANT = "applicant"  # the demo account; its user id is its username


@pytest.fixture(scope="module")
def platform(
    infra: Infra, smtp: SmtpServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    with infra.isolated() as own:
        running = Platform(
            own, smtp.port, bucket=unique("bell"), data_dir=tmp_path_factory.mktemp("bell")
        )
        running.overrides.update(
            {
                "QCFLOW_CORS_ORIGINS": running.url("intake"),
                "QCFLOW_NOTIFY_PUBLIC_URL": running.url("notify"),
            }
        )
        subprocess.run(
            [sys.executable, "-m", "services.cli", "seed-demo"],
            check=True,
            cwd=ROOT,
            env={**running.env("intake"), "QCFLOW_DEMO_PASSWORD": DEMO_PASSWORD},
            capture_output=True,
        )
        try:
            yield running.start("intake", "notify")
        finally:
            running.stop()


@pytest.fixture
def page() -> Iterator[Page]:
    with chromium() as browser:
        yield browser.new_context(locale="zh-CN").new_page()


class NotifyApi:
    """notify's in-app API as the demo applicant: what the server holds, read beside the page."""

    def __init__(self, platform: Platform) -> None:
        login = httpx.post(
            f"{platform.url('intake')}/api/login",
            json={"username": APPLICANT, "password": DEMO_PASSWORD},
        )
        assert login.status_code == 200, login.text
        self.headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        self.url = f"{platform.url('notify')}/api/notifications"

    def listed(self, *, unread: bool = False) -> list[dict[str, Any]]:
        response = httpx.get(self.url, params={"unread": unread}, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def by_id(self, notification_id: str) -> dict[str, Any]:
        [found] = [n for n in self.listed() if n["notification_id"] == notification_id]
        return found


def forwarded_to(user_id: str) -> CampaignForwarded:
    """A unit forwards a campaign to an enterprise whose contact is the logged-in user."""
    run = unique("bell")
    deadline = datetime.now(UTC) + timedelta(days=30)  # far enough: no deadline reminder yet
    return CampaignForwarded(
        campaign_id=f"c-{run}",
        unit_id=f"unit-{run}",
        unit_name=f"{run}质量协会",
        campaign_year=2023,
        national_doc_number="中国质协字〔2023〕38号",
        national_title="关于开展2023年度全国质量管理小组活动推进工作的通知",
        theme="数字赋能 激发动能 提升效能",
        national_deadline_at=deadline + timedelta(days=60),
        unit_doc_number="藏质协字（2023）6号",
        title="关于转发2023年度全国质量管理小组活动推进工作的通知",
        body="请各会员单位按时申报。",
        deadline_at=deadline,
        unit_contacts=(Contact(name="仁青平措", email=f"unit-{run}@example.com"),),
        member_enterprises=(
            MemberEnterprise(
                enterprise_id=f"ent-{run}",
                name="国网西藏电力有限公司拉萨供电公司",
                contacts=(Contact(name="朗杰", email=f"{run}@example.com", user_id=user_id),),
            ),
        ),
    )


def publish(platform: Platform, *events: Event) -> None:
    publish_events(platform.infra.amqp_url(), *events)


def china_time(iso: str) -> str:
    moment = datetime.fromisoformat(iso).astimezone(UTC) + timedelta(hours=8)
    return moment.strftime("%Y-%m-%d %H:%M（北京时间）")


def log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/pages/login")
    page.fill("[name=username]", APPLICANT)
    page.fill("[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/pages/notice")


def test_bell_shows_new_notifications_and_marks_them_read(platform: Platform, page: Page):
    notify = NotifyApi(platform)
    assert notify.listed() == []
    page.clock.install()
    log_in(page, platform.url("intake"))
    badge = page.locator("#bell-badge")
    page.click("#bell-button")
    expect(page.locator("#bell-status")).to_have_text("暂无通知")
    expect(badge).to_be_hidden()
    page.click("#bell-button")

    publish(platform, forwarded_to(APPLICANT), forwarded_to(APPLICANT))
    wait_for(lambda: len(notify.listed(unread=True)) == 2)
    newest, older = notify.listed()
    page.clock.run_for(60_000)  # the minute's refresh, with the panel closed

    expect(badge).to_have_text("2")
    page.click("#bell-button")
    items = page.locator("#bell-list li")
    expect(items).to_have_count(2)
    expect(items.first).to_have_class(re.compile(r"\bbell-unread\b"))
    expect(items.first).to_contain_text(f"未读 {china_time(newest['created_at'])}")
    expect(items.first.locator("a")).to_have_text(newest["subject"])
    expect(items.first.locator("a")).to_have_attribute("href", "/pages/notice")

    items.first.get_by_role("button", name="标为已读").click()
    expect(badge).to_have_text("1")
    expect(items.first).not_to_have_class(re.compile(r"\bbell-unread\b"))
    expect(items.first).to_contain_text("已读")
    assert notify.by_id(newest["notification_id"])["read"] is True
    assert notify.by_id(older["notification_id"])["read"] is False

    page.click("#bell-read-all")
    expect(badge).to_be_hidden()
    expect(page.locator("#bell-list .bell-unread")).to_have_count(0)
    assert notify.listed(unread=True) == []


def test_bell_on_an_origin_notify_does_not_allow_says_it_retries(platform: Platform, page: Page):
    # The same intake, reached as localhost: not in QCFLOW_CORS_ORIGINS, so the browser
    # withholds notify's answers from the page.
    other_origin = platform.url("intake").replace("127.0.0.1", "localhost")
    log_in(page, other_origin)

    page.click("#bell-button")

    expect(page.locator("#bell-status")).to_have_text("通知服务暂时不可用，稍后自动重试")
    expect(page.locator("#bell-badge")).to_be_hidden()
