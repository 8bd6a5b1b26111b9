"""The notification bell in the reviewer console: Debian Chromium, review and notify as processes.

notify turns real `reviewer.assigned` events from the broker into in-app notifications for the
reviewer; the console pages (review's origin) read and mark them on notify's origin.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from shared.auth import Principal, Role, issue_token
from shared.events import Contact, Event, ReviewerAssigned
from tests.builders import unique
from tests.support.browser import chromium, publish_events
from tests.support.infra import Infra
from tests.support.platform import Platform, wait_for
from tests.support.smtp import SmtpServer


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
                "QCFLOW_CORS_ORIGINS": running.url("review"),
                "QCFLOW_NOTIFY_PUBLIC_URL": running.url("notify"),
            }
        )
        try:
            yield running.start("review", "notify")
        finally:
            running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


class Reviewer:
    """An expert with a token, and notify's in-app API as that expert (the server's view)."""

    def __init__(self, platform: Platform) -> None:
        self.user_id = unique("expert")
        principal = Principal(
            user_id=self.user_id, role=Role.UNIT_REVIEWER, org_id="xizang", name="达瓦"
        )
        secret = platform.env("review")["QCFLOW_AUTH_SECRET"]
        self.token = issue_token(principal, secret=secret, ttl_s=3600)
        self.console = platform.url("review")
        self.notifications = f"{platform.url('notify')}/api/notifications"

    def open(self, browser: Browser, path: str) -> Page:
        page = browser.new_context(locale="zh-CN").new_page()
        page.clock.install()
        page.goto(f"{self.console}{path}#token={self.token}")
        return page

    def listed(self, *, unread: bool = False) -> list[dict[str, Any]]:
        response = httpx.get(
            self.notifications,
            params={"unread": unread},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def by_id(self, notification_id: str) -> dict[str, Any]:
        [found] = [n for n in self.listed() if n["notification_id"] == notification_id]
        return found


def assigned_to(reviewer: Reviewer) -> ReviewerAssigned:
    return ReviewerAssigned(
        assignment_id=unique("assignment"),
        application_id=uuid.uuid4(),
        unit_id="xizang",
        level="unit",
        reviewer=Contact(
            name="达瓦", email=f"{reviewer.user_id}@example.com", user_id=reviewer.user_id
        ),
        due_at=datetime.now(UTC) + timedelta(days=10),  # not overdue: no reminder on top
        group_name=unique("雪域先锋QC小组"),
        topic_name="降低配电网线路故障停电时长",
    )


def publish(platform: Platform, *events: Event) -> None:
    publish_events(platform.infra.amqp_url(), *events)


def china_time(iso: str) -> str:
    moment = datetime.fromisoformat(iso).astimezone(UTC) + timedelta(hours=8)
    return moment.strftime("%Y-%m-%d %H:%M（北京时间）")


def test_bell_in_console_and_package_pages_marks_notifications_read(
    platform: Platform, browser: Browser
):
    reviewer = Reviewer(platform)
    queue = reviewer.open(browser, "/console")
    badge = queue.locator("#bell-badge")
    queue.click("#bell-button")
    expect(queue.locator("#bell-status")).to_have_text("暂无通知")
    expect(badge).to_be_hidden()

    first, second = assigned_to(reviewer), assigned_to(reviewer)
    publish(platform, first, second)
    wait_for(lambda: len(reviewer.listed(unread=True)) == 2)
    queue.clock.run_for(60_000)  # the minute's refresh, the panel left open

    expect(badge).to_have_text("2")
    items = queue.locator("#bell-list li")
    expect(items).to_have_count(2)
    newest = reviewer.listed()[0]
    expect(items.first).to_have_class(re.compile(r"\bbell-unread\b"))
    expect(items.first).to_contain_text(f"未读 {china_time(newest['created_at'])}")
    expect(items.first.locator("a")).to_have_text(newest["subject"])
    expect(items.first.locator("a")).to_have_attribute(
        "href", f"/console/entries/{newest['subject_id']}"
    )
    items.first.get_by_role("button", name="标为已读").click()
    expect(badge).to_have_text("1")
    assert reviewer.by_id(newest["notification_id"])["read"] is True

    package = reviewer.open(browser, "/console/package")
    expect(package.locator("#bell-badge")).to_have_text("1")
    package.click("#bell-button")
    expect(package.locator("#bell-list .bell-unread")).to_have_count(1)
    package.click("#bell-read-all")
    expect(package.locator("#bell-badge")).to_be_hidden()
    assert reviewer.listed(unread=True) == []


def test_bell_says_it_retries_while_notify_is_down(platform: Platform, browser: Browser):
    reviewer = Reviewer(platform)
    page = reviewer.open(browser, "/console")
    expect(page.locator("#notifications")).to_be_visible()
    platform.terminate("notify")

    page.click("#bell-button")

    expect(page.locator("#bell-status")).to_have_text("通知服务暂时不可用，稍后自动重试")
