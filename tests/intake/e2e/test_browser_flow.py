"""The applicant's pages in headless Debian Chromium against intake running as a real process."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import FilePayload, Page, expect

from tests.builders import pdf_bytes, unique
from tests.support.browser import chromium
from tests.support.infra import Infra
from tests.support.platform import Platform, demo_platform
from tests.support.smtp import SmtpServer

DEMO_PASSWORD = "browser-demo-password"


@pytest.fixture(scope="module")
def intake_process(
    infra: Infra, smtp: SmtpServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    with demo_platform(
        infra,
        name="browser",
        smtp_port=smtp.port,
        data_dir=tmp_path_factory.mktemp("browser"),
        demo_password=DEMO_PASSWORD,
        services=("intake",),
    ) as running:
        yield running


@pytest.fixture
def page() -> Iterator[Page]:
    with chromium() as browser:
        yield browser.new_page()


def fill_application(page: Page, *, enterprise_name: str, group_name: str) -> None:
    values = {
        "enterprise_name": enterprise_name,
        "group_name": group_name,
        "topic_name": "降低配电网线路故障停电时长",
        "address": "西藏自治区拉萨市城关区罗布林卡路21号",
        "postal_code": "850000",
        "contact_department": "运维检修部",
        "contact_person": "朗杰",
        "mobile": "13908901234",
        "summary": "小组围绕配电网故障停电时长开展活动，平均停电时长由112分钟降至46分钟。",
    }
    for name, value in values.items():
        page.fill(f"#application-form [name={name}]", value)
    page.select_option("[name=target_kind]", "自定目标")
    page.fill("#members [name=member-name]", "朗杰")


def test_applicant_logs_in_fills_uploads_and_submits(intake_process: Platform, page: Page):
    base = intake_process.url("intake")
    page.goto(f"{base}/pages/login")
    page.fill("[name=username]", "applicant")
    page.fill("[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/pages/notice")
    expect(page.locator("#unit-doc")).to_have_text("藏质协字（2023）6号")
    expect(page.locator("#countdown")).to_contain_text("天")

    page.goto(f"{base}/pages/applications/new")
    group_name = unique("雪域先锋QC小组")
    fill_application(page, enterprise_name="拉萨供电公司", group_name=group_name)
    page.fill("[name=postal_code]", "8500")
    page.locator("[name=mobile]").focus()
    expect(page.locator("#field-errors")).to_contain_text("邮编：应为6位数字")
    page.fill("[name=postal_code]", "850000")
    page.click("#save-draft")
    expect(page.locator("#field-errors")).to_contain_text("国网西藏电力有限公司拉萨供电公司")
    page.fill("[name=enterprise_name]", "国网西藏电力有限公司拉萨供电公司")
    page.click("#save-draft")
    page.wait_for_url(re.compile(r".*/pages/applications/[0-9a-f-]{36}$"))
    expect(page.locator("#status-label")).to_have_text("草稿")

    evidence: FilePayload = {
        "name": "活动记录.pdf",
        "mimeType": "application/pdf",
        "buffer": pdf_bytes(),
    }
    page.set_input_files("#file-input", files=[evidence])
    page.click("#upload")
    expect(page.locator("#file-list")).to_contain_text("活动记录.pdf")
    expect(page.locator("#upload-progress")).to_have_attribute("value", "100")

    expect(page.locator("#certificate-line")).to_have_text(
        f"国网西藏电力有限公司拉萨供电公司 {group_name}"
    )
    page.click("#submit")
    expect(page.locator("#message")).to_contain_text("请先核对并勾选确认证书名称")
    page.check("#confirm-line")
    page.click("#submit")
    expect(page.locator("#status-label")).to_have_text("已提交，待推荐单位形式审查")
    expect(page.locator("#message")).to_contain_text("提交成功")
