"""The mailer keeps its SMTP connection through a burst and recovers when the server drops it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from services.notify.channels.email import SmtpMailer
from shared.settings import Settings
from tests.support.proxy import free_port
from tests.support.smtp import SmtpServer


class CountingInbox:
    def __init__(self) -> None:
        self.recipients: list[str] = []
        self.connections: set[tuple[str, int]] = set()

    async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook name
        self.connections.add(session.peer)
        self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted"


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def inbox(port: int) -> Iterator[CountingInbox]:
    handler = CountingInbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler
    controller.stop()


async def send(mailer: SmtpMailer, number: int) -> None:
    await mailer.send(
        delivery_id=f"d{number}",
        recipient=f"r{number}@example.com",
        subject="回执",
        text="已收到",
        html="<p>已收到</p>",
    )


async def test_a_burst_of_mails_goes_over_one_connection(inbox: CountingInbox, port: int):
    mailer = SmtpMailer(Settings(smtp_port=port))
    for number in range(5):
        await send(mailer, number)
    await mailer.close()
    assert inbox.recipients == [f"r{number}@example.com" for number in range(5)]
    assert len(inbox.connections) == 1


async def test_after_close_the_next_mail_opens_a_new_connection(inbox: CountingInbox, port: int):
    mailer = SmtpMailer(Settings(smtp_port=port))
    await send(mailer, 1)
    await mailer.close()
    await send(mailer, 2)
    await mailer.close()
    assert len(inbox.connections) == 2


async def test_a_connection_the_server_dropped_is_replaced_and_the_mail_sent_once(port: int):
    mailer = SmtpMailer(Settings(smtp_port=port))
    first = CountingInbox()
    server = Controller(first, hostname="127.0.0.1", port=port)
    server.start()
    await send(mailer, 1)
    server.stop()  # closes the connection the mailer keeps
    second = CountingInbox()
    server = Controller(second, hostname="127.0.0.1", port=port)
    server.start()
    try:
        await send(mailer, 2)
        await mailer.close()
    finally:
        server.stop()
    assert (first.recipients, second.recipients) == (["r1@example.com"], ["r2@example.com"])


async def test_a_mail_reads_back_as_written_chinese_names_and_all() -> None:
    smtp = SmtpServer().start()  # parses what arrives as a mail client would
    sender = "中国质量协会 <noreply@caq.example.cn>"
    mailer = SmtpMailer(Settings(smtp_port=smtp.port, mail_from=sender))
    try:
        await mailer.send(
            delivery_id="d-42",
            recipient="申报人 <applicant@example.com>",
            subject="【全国优秀质量管理小组】申报回执：雪域先锋QC小组（第2次提交）",
            text="您好：\n您的申报已提交。",
            html="<p>您好：</p><p>您的申报已提交。</p>",
        )
        await mailer.close()
    finally:
        smtp.stop()

    [mail] = smtp.inbox.messages
    assert (mail["From"].addresses[0].display_name, mail["From"].addresses[0].addr_spec) == (
        "中国质量协会",
        "noreply@caq.example.cn",
    )
    assert mail["To"].addresses[0].addr_spec == "applicant@example.com"
    assert mail["Subject"] == "【全国优秀质量管理小组】申报回执：雪域先锋QC小组（第2次提交）"
    assert "d-42" in mail["Message-ID"]
    assert mail["X-Qcflow-Delivery-Id"] == "d-42"
    plain, rich = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None
    assert rich is not None
    assert plain.get_content().rstrip("\n") == "您好：\n您的申报已提交。"
    assert rich.get_content().rstrip("\n") == "<p>您好：</p><p>您的申报已提交。</p>"
