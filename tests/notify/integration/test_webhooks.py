"""Webhooks against a real HTTP receiver that verifies the HMAC signatures."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.notify import admin
from services.notify.domain.errors import NotFoundError
from services.notify.models import Delivery, Webhook, WebhookAttempt
from services.notify.sending import WEBHOOK_DISABLE_AFTER
from shared.auth import Principal, Role
from tests.notify.events import forwarded, tag
from tests.notify.integration.conftest import NodeFactory, NotifyNode, WebhookReceiver, eventually

ADMIN = Principal(user_id="admin-1", role=Role.NATIONAL_ADMIN, org_id="caq", name="管理员")


async def register(node: NotifyNode, receiver: WebhookReceiver, types: list[str]) -> Webhook:
    async with node.runtime.transaction() as session:
        hook = await admin.create_webhook(
            session, actor=ADMIN, url=receiver.url, event_types=types, now=datetime.now(UTC)
        )
    receiver.secret = hook.secret
    return hook


async def disable(node: NotifyNode, hook: Webhook) -> None:
    async with node.runtime.transaction() as session:
        await admin.set_webhook_enabled(
            session, actor=ADMIN, webhook_id=hook.webhook_id, enabled=False
        )


async def attempts_of(node: NotifyNode, hook: Webhook) -> list[WebhookAttempt]:
    async with node.runtime.transaction() as session:
        query = (
            select(WebhookAttempt)
            .where(WebhookAttempt.webhook_id == hook.webhook_id)
            .order_by(WebhookAttempt.attempt)
        )
        return list((await session.execute(query)).scalars())


async def test_receiver_failing_three_times_then_succeeding_gets_one_accepted_delivery(
    notify_node: NodeFactory, receiver: WebhookReceiver
):
    node = await notify_node()
    hook = await register(node, receiver, ["campaign_forwarded"])
    receiver.script = [503, 500, 429]
    run = tag()
    try:
        await node.publish(forwarded(run, enterprises=1), times=2)
        assert await eventually(receiver.accepted)
        await asyncio.sleep(1.0)
        assert len(receiver.accepted()) == 1
        assert len(receiver.received) == 4
        assert all(r.signature_ok for r in receiver.received)
        ids = {r.headers["X-Qcflow-Delivery-Id"] for r in receiver.received}
        assert len(ids) == 1
        assert {r.headers["Idempotency-Key"] for r in receiver.received} == ids
        body = json.loads(receiver.accepted()[0].body)
        assert body["type"] == "campaign_forwarded"
        assert body["delivery_id"] in ids
        assert sorted(p["email"] for p in body["recipients"]) == [
            f"member0-{run}@example.com",
            f"member0b-{run}@example.com",
        ]
        log = await attempts_of(node, hook)
        assert [a.status_code for a in log] == [503, 500, 429, 200]
    finally:
        await disable(node, hook)


async def test_client_error_is_permanent_and_repeated_failures_disable_the_webhook(
    notify_node: NodeFactory, receiver: WebhookReceiver
):
    node = await notify_node()
    hook = await register(node, receiver, ["campaign_forwarded"])
    receiver.script = [410]
    await node.publish(forwarded(tag(), enterprises=1))
    assert await eventually(lambda: receiver.received)
    await asyncio.sleep(0.8)
    assert len(receiver.received) == 1  # 410 Gone is not retried

    receiver.script = [503] * 20
    await node.publish(forwarded(tag(), enterprises=1))

    async def disabled() -> bool:
        async with node.runtime.transaction() as session:
            current = await session.get(Webhook, hook.webhook_id)
            return current is not None and not current.enabled

    assert await eventually(disabled)
    assert len(receiver.received) == WEBHOOK_DISABLE_AFTER
    async with node.runtime.transaction() as session:
        rows = (
            await session.execute(
                select(Delivery).where(Delivery.recipient == f"webhook:{hook.webhook_id}")
            )
        ).scalars()
        assert {r.status for r in rows} == {"failed"}


async def test_rotated_secret_signs_with_old_and_new_during_grace(
    notify_node: NodeFactory, receiver: WebhookReceiver
):
    node = await notify_node()
    hook = await register(node, receiver, ["*"])
    old_secret = hook.secret
    try:
        async with node.runtime.transaction() as session:
            rotated = await admin.rotate_secret(
                session,
                actor=ADMIN,
                webhook_id=hook.webhook_id,
                grace=timedelta(hours=1),
                now=datetime.now(UTC),
            )
        assert rotated.secret != old_secret
        await node.publish(forwarded(tag(), enterprises=1))
        assert await eventually(receiver.accepted)  # signed with the old secret the receiver has
        header = receiver.accepted()[0].headers["X-Qcflow-Signature"]
        assert header.count("v1=") == 2

        receiver.secret = rotated.secret
        await node.publish(forwarded(tag(), enterprises=1))
        assert await eventually(lambda: len(receiver.accepted()) == 2)
    finally:
        await disable(node, hook)


async def test_unknown_webhook_is_reported_in_chinese(notify_node: NodeFactory):
    node = await notify_node(background=False)
    async with node.runtime.transaction() as session:
        with pytest.raises(NotFoundError, match="回调"):
            await admin.rotate_secret(
                session,
                actor=ADMIN,
                webhook_id=uuid.uuid4(),
                grace=timedelta(0),
                now=datetime.now(UTC),
            )
