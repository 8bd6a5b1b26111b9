"""The dispatcher claims and records a round's due mails together, within the claim's lease."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from services.notify import sending
from tests.notify.events import rendered, submitted, tag
from tests.notify.integration.conftest import NodeFactory, eventually
from tests.notify.integration.test_reliability import deliveries
from tests.support.smtp import SmtpServer

APPLICATIONS = 3


def count_transactions(runtime: Any) -> list[int]:
    opened = [0]
    begin = runtime.transaction

    @asynccontextmanager
    async def transaction() -> AsyncIterator[Any]:
        opened[0] += 1
        async with begin() as session:
            yield session

    runtime.transaction = transaction
    return opened


async def queue_receipts(node: Any) -> dict[str, str]:
    """Three applications' receipts, two mails each, queued and not yet sent: run → application."""
    applications = {}
    for run in (tag() for _ in range(APPLICATIONS)):
        event = submitted(run)
        applications[run] = str(event.application_id)
        await node.publish(event)
        await node.publish(rendered(str(event.application_id)))

    async def all_queued() -> bool:
        rows = [r for key in applications.values() for r in await deliveries(node, key, "email")]
        return len(rows) == 2 * APPLICATIONS

    assert await eventually(all_queued)
    return applications


async def test_one_round_sends_every_due_mail_in_two_transactions(
    notify_node: NodeFactory, smtp: SmtpServer
):
    node = await notify_node(background=False)
    applications = await queue_receipts(node)
    opened = count_transactions(node.runtime)

    assert await node.dispatcher.dispatch_due() >= 2 * APPLICATIONS  # and their AMQP messages

    assert opened[0] == 2  # the claim and the record, not two per mail
    for run, application_id in applications.items():
        for who in ("applicant", "enterprise"):
            assert len(smtp.inbox.to(f"{who}-{run}@example.com")) == 1
        rows = await deliveries(node, application_id, "email")
        assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}


async def test_mails_left_when_the_send_window_closes_are_handed_back_uncounted(
    notify_node: NodeFactory, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
):
    node = await notify_node(background=False)
    applications = await queue_receipts(node)

    monkeypatch.setattr(sending, "SEND_WINDOW_S", -1.0)  # closed before the first send
    assert await node.dispatcher.dispatch_due() >= 2 * APPLICATIONS
    for run, application_id in applications.items():
        assert not smtp.inbox.to(f"applicant-{run}@example.com")
        rows = await deliveries(node, application_id, "email")
        assert {(r.status, r.attempts, r.claim_token) for r in rows} == {("queued", 0, None)}

    monkeypatch.undo()
    await node.dispatcher.dispatch_due()
    for run, application_id in applications.items():
        assert len(smtp.inbox.to(f"applicant-{run}@example.com")) == 1
        rows = await deliveries(node, application_id, "email")
        assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}
