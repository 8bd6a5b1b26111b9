"""In-process notify runtimes on the real broker, PostgreSQL, SMTP, and a real HTTP receiver."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from sqlalchemy import delete

from services.notify.channels import Channels
from services.notify.channels.amqp import NotificationPublisher
from services.notify.channels.email import SmtpMailer
from services.notify.channels.webhook import WebhookSender
from services.notify.dispatcher import Clock, DeliveryDispatcher, ReminderScheduler, utc_now
from services.notify.domain.webhooks import SIGNATURE_HEADER, verify
from services.notify.models import Delivery, messaging_tables
from services.notify.subscribers import handlers
from shared.db import create_engine
from shared.events import Event
from shared.messaging.topology import EVENTS_EXCHANGE
from shared.runtime import Runtime
from shared.settings import Settings
from tests.support.infra import Infra
from tests.support.proxy import free_port

FAST_RETRIES = (0.2,) * 10


@dataclass
class NotifyNode:
    runtime: Runtime
    dispatcher: DeliveryDispatcher
    reminders: ReminderScheduler

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    async def publish(self, event: Event, *, times: int = 1) -> None:
        connection = await aio_pika.connect(self.settings.amqp_url)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(EVENTS_EXCHANGE)
            for _ in range(times):
                await exchange.publish(
                    aio_pika.Message(
                        event.model_dump_json().encode(),
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=event.type,
                )


INTEGRATOR_QUEUE = "integrator.notification-events"


async def bind_integrator_queue(amqp_url: str) -> None:
    """What an integrator does (and what lets the mandatory publish of notification.* route)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(INTEGRATOR_QUEUE, durable=True)
        await queue.bind(EVENTS_EXCHANGE, routing_key="notification.*")


async def integrator_events(amqp_url: str) -> list[dict[str, Any]]:
    """Drain what reached the integrator's queue so far."""
    found: list[dict[str, Any]] = []
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(INTEGRATOR_QUEUE, durable=True)
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            found.append(json.loads(message.body))
    return found


NodeFactory = Callable[..., Awaitable[NotifyNode]]


@pytest.fixture
async def notify_node(
    infra: Infra, vhost: str, bucket: str, tmp_path: Path, smtp: Any
) -> AsyncIterator[NodeFactory]:
    """Start notify nodes (same DB and vhost); each may have its own SMTP port and clock."""
    nodes: list[NotifyNode] = []

    async def start(
        *,
        smtp_port: int | None = None,
        database_port: int | None = None,
        clock: Clock = utc_now,
        background: bool = True,
    ) -> NotifyNode:
        settings = infra.settings(
            "notify", smtp_port=smtp_port or smtp.port, bucket=bucket, data_dir=tmp_path
        ).model_copy(
            update={
                "amqp_url": infra.amqp_url(vhost=vhost),
                "database_url": infra.database_url("notify", port=database_port),
                "publish_timeout_s": 5.0,
            }
        )
        runtime = Runtime.build(settings, messaging_tables)
        channels = Channels(
            mailer=SmtpMailer(settings),
            webhooks=WebhookSender(timeout_s=5.0),
            amqp=NotificationPublisher(runtime.broker, timeout_s=5.0),
        )
        dispatcher = DeliveryDispatcher(
            runtime, channels, interval_s=0.1, schedule=FAST_RETRIES, clock=clock
        )
        scheduler = ReminderScheduler(runtime, interval_s=0.2, clock=clock)
        runtime.consume(handlers(settings.public_url))
        if background:
            runtime.background_jobs.append(dispatcher.run)
        await runtime.start()
        await bind_integrator_queue(settings.amqp_url)
        node = NotifyNode(runtime, dispatcher, scheduler)
        nodes.append(node)
        return node

    yield start
    for node in nodes:
        await node.runtime.stop()
    await _forget_pending_deliveries(infra.database_url("notify"))
    # A job left running would go on sending the next tests' deliveries to this test's servers.
    assert [job for node in nodes for job in node.runtime.running_jobs] == []


async def _forget_pending_deliveries(database_url: str) -> None:
    """Drop this test's unfinished deliveries.

    The next test's dispatcher would otherwise go on retrying them (to SMTP servers and
    receivers long gone), which slows its own deliveries under load.
    """
    engine = create_engine(database_url)  # directly: a test may have cut its nodes' way there
    try:
        async with engine.begin() as connection:
            await connection.execute(
                delete(Delivery).where(Delivery.status.in_(("queued", "retrying", "sending")))
            )
    finally:
        await engine.dispose()


async def eventually(check: Callable[[], Any], timeout_s: float = 20) -> Any:
    """Poll a sync or async check until it returns something truthy (or time runs out)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    signature_ok: bool
    answered: int


@dataclass
class WebhookReceiver:
    """A real HTTP server that verifies signatures and answers from a script of status codes."""

    secret: str = ""
    script: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/qcflow"

    def accepted(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.answered < 300 and r.signature_ok]

    def delivery_ids(self) -> list[str]:
        return [r.headers["X-Qcflow-Delivery-Id"] for r in self.accepted()]

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = dict(self.headers.items())
                ok = verify(
                    headers.get(SIGNATURE_HEADER, ""), receiver.secret, body, now=int(time.time())
                )
                status = receiver.script.pop(0) if receiver.script else 200
                receiver.received.append(Received(body, headers, ok, status))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"ok": status < 300}).encode())

            def log_message(self, *_args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()
