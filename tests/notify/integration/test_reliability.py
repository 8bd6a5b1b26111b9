"""SMTP down then up, permanent refusals, admin resend, AMQP notifications, duplicates."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import aio_pika
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import exc as db_errors
from sqlalchemy import select

from services.notify import admin
from services.notify.models import Delivery
from services.notify.sending import CLAIMED
from shared.db import create_engine, create_sessionmaker
from shared.messaging.topology import NOTIFICATIONS_EXCHANGE
from tests.notify.events import forwarded, rendered, submitted, tag
from tests.notify.integration.conftest import NodeFactory, eventually, integrator_events
from tests.support.infra import Infra
from tests.support.proxy import TcpProxy, free_port
from tests.support.smtp import SmtpServer


@pytest.fixture
def smtp_proxy(smtp: SmtpServer) -> Iterator[TcpProxy]:
    proxy = TcpProxy("127.0.0.1", smtp.port).start()
    yield proxy
    proxy.close()


async def deliveries(node: Any, key_part: str, channel: str) -> list[Delivery]:
    async with node.runtime.transaction() as session:
        query = select(Delivery).where(
            Delivery.notification_key.contains(key_part), Delivery.channel == channel
        )
        return list((await session.execute(query)).scalars())


async def test_smtp_down_then_up_delivers_each_mail_once(
    notify_node: NodeFactory, smtp: SmtpServer, smtp_proxy: TcpProxy
):
    smtp_proxy.cut()
    node = await notify_node(smtp_port=smtp_proxy.port)
    run = tag()
    event = submitted(run)
    await node.publish(event)
    await node.publish(rendered(str(event.application_id)))

    async def retrying() -> bool:
        rows = await deliveries(node, str(event.application_id), "email")
        return len(rows) == 2 and all(r.status == "retrying" and r.attempts >= 2 for r in rows)

    assert await eventually(retrying)
    assert smtp.inbox.to(f"applicant-{run}@example.com") == []
    smtp_proxy.restore()
    assert await eventually(lambda: smtp.inbox.to(f"applicant-{run}@example.com"))
    assert await eventually(lambda: smtp.inbox.to(f"enterprise-{run}@example.com"))
    await asyncio.sleep(1.0)
    assert len(smtp.inbox.to(f"applicant-{run}@example.com")) == 1
    assert len(smtp.inbox.to(f"enterprise-{run}@example.com")) == 1
    rows = await deliveries(node, str(event.application_id), "email")
    assert {r.status for r in rows} == {"sent"}


class DatabaseCuttingInbox:
    """Accepts each mail, but first cuts the sender's database for a while.

    The commit that would record the mail as sent is lost, as when a database connection drops
    mid-transaction.
    """

    def __init__(self, database: TcpProxy, outage_s: float) -> None:
        self.database = database
        self.outage_s = outage_s
        self.recipients: list[str] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook name
        self.database.cut()
        threading.Timer(self.outage_s, self.database.restore).start()
        self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted"


async def test_a_mail_whose_sent_record_is_lost_is_not_sent_again(
    notify_node: NodeFactory, infra: Infra
):
    database = TcpProxy("127.0.0.1", 5432).start()
    inbox = DatabaseCuttingInbox(database, outage_s=2.0)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    observer = create_engine(infra.database_url("notify"))  # not through the cut proxy
    try:
        node = await notify_node(smtp_port=controller.port, database_port=database.port)
        run = tag()
        event = submitted(run)
        await node.publish(event)
        await node.publish(rendered(str(event.application_id)))

        async def emails() -> list[Delivery]:
            async with create_sessionmaker(observer)() as session:
                query = select(Delivery).where(
                    Delivery.notification_key.contains(str(event.application_id)),
                    Delivery.channel == "email",
                )
                return list((await session.execute(query)).scalars())

        async def all_sent() -> bool:
            rows = await emails()
            return len(rows) == 2 and {r.status for r in rows} == {"sent"}

        assert await eventually(all_sent, timeout_s=60)
        await asyncio.sleep(3.0)  # a second outage's worth: time for a repeated send to show
        expected = sorted(f"{who}-{run}@example.com" for who in ("applicant", "enterprise"))
        assert sorted(inbox.recipients) == expected
        assert [r.attempts for r in await emails()] == [1, 1]
    finally:
        controller.stop()
        database.close()
        await observer.dispose()


def lose_the_answer_to_the_first_claim(runtime: Any) -> list[uuid.UUID]:
    """The first claim's commit lands, but its sender sees the connection drop instead.

    Returns the claimed delivery ids, filled in once the answer has been lost.
    """
    commit = runtime.transaction
    lost: list[uuid.UUID] = []

    @asynccontextmanager
    async def transaction() -> AsyncIterator[Any]:
        async with commit() as session:
            yield session
            claims = [
                row.delivery_id
                for row in session.identity_map.values()
                if isinstance(row, Delivery) and row.status == CLAIMED
            ]
        if claims and not lost:
            lost.extend(claims)
            raise db_errors.OperationalError("COMMIT", {}, ConnectionResetError("connection lost"))

    runtime.transaction = transaction
    return lost


async def test_a_claim_whose_commit_answer_is_lost_is_sent_at_once_and_once(
    notify_node: NodeFactory, smtp: SmtpServer
):
    node = await notify_node()
    lost = lose_the_answer_to_the_first_claim(node.runtime)
    run = tag()
    event = submitted(run)
    await node.publish(event)
    await node.publish(rendered(str(event.application_id)))

    # Without the claim token the claimed mail would wait out its 5-minute lease.
    assert await eventually(lambda: smtp.inbox.to(f"applicant-{run}@example.com"))
    assert await eventually(lambda: smtp.inbox.to(f"enterprise-{run}@example.com"))
    assert lost, "the fault was never injected"
    await asyncio.sleep(1.0)
    assert len(smtp.inbox.to(f"applicant-{run}@example.com")) == 1
    assert len(smtp.inbox.to(f"enterprise-{run}@example.com")) == 1
    rows = await deliveries(node, str(event.application_id), "email")
    assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}


class RefusingInbox:
    """An SMTP server that refuses recipients for good (550) until told to accept."""

    def __init__(self) -> None:
        self.refuse = True
        self.accepted: list[str] = []

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        if self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook name
        self.accepted.extend(envelope.rcpt_tos)
        return "250 Message accepted"


async def test_permanent_refusal_is_not_retried_and_admin_resend_delivers(
    notify_node: NodeFactory,
):
    inbox = RefusingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        node = await notify_node(smtp_port=controller.port)
        run = tag()
        await node.publish(forwarded(run, enterprises=1))

        async def failed() -> list[Delivery]:
            rows = await deliveries(node, f"forwarded:c-{run}", "email")
            return rows if len(rows) == 2 and all(r.status == "failed" for r in rows) else []

        rows = await eventually(failed)
        assert [r.attempts for r in rows] == [1, 1]
        assert all("550" in (r.last_error or "") for r in rows)
        failed_events = await eventually(
            lambda: _events_about(node, "notification.failed", {str(r.delivery_id) for r in rows})
        )
        assert len(failed_events) == 2

        async with node.runtime.transaction() as session:
            listed = {d.delivery_id for d in await admin.failed_deliveries(session)}
        assert {r.delivery_id for r in rows} <= listed
        inbox.refuse = False
        for row in rows:
            async with node.runtime.transaction() as session:
                await admin.resend(session, delivery_id=row.delivery_id, now=row.created_at)
        assert await eventually(lambda: len(inbox.accepted) == 2)
        await asyncio.sleep(0.5)
        assert sorted(inbox.accepted) == sorted(f"member0{s}-{run}@example.com" for s in ("", "b"))
    finally:
        controller.stop()


async def _events_about(node: Any, event_type: str, delivery_ids: set[str]) -> list[dict[str, Any]]:
    seen = getattr(node, "_seen_events", [])
    seen.extend(await integrator_events(node.settings.amqp_url))
    node._seen_events = seen
    return [e for e in seen if e["type"] == event_type and e["delivery_id"] in delivery_ids]


async def test_each_recipient_gets_one_amqp_message_with_its_routing_key(
    notify_node: NodeFactory, smtp: SmtpServer
):
    node = await notify_node()
    connection = await aio_pika.connect(node.settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(f"sms-gateway-{uuid.uuid4().hex[:6]}", exclusive=True)
        await queue.bind(NOTIFICATIONS_EXCHANGE, routing_key="submission_receipt.*")
        run = tag()
        event = submitted(run)
        await node.publish(event, times=2)
        await node.publish(rendered(str(event.application_id)), times=2)
        assert await eventually(lambda: smtp.inbox.to(f"enterprise-{run}@example.com"))

        async def published() -> bool:
            rows = await deliveries(node, str(event.application_id), "amqp")
            return len(rows) == 2 and all(r.status == "sent" for r in rows)

        assert await eventually(published)
        received: list[aio_pika.abc.AbstractIncomingMessage] = []
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            received.append(message)
    mine = [m for m in received if json.loads(m.body)["subject_id"] == str(event.application_id)]
    assert sorted(m.routing_key or "" for m in mine) == [
        "submission_receipt.applicant",
        "submission_receipt.enterprise",
    ]
    for message in mine:
        body = json.loads(message.body)
        assert message.message_id == body["idempotency_key"] == body["delivery_id"]
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert body["schema"] == "qcflow.notification/1"
        assert "申报回执" in body["subject"]
