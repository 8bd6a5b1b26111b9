"""`qcflow notify failed|resend` against the real notify database."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from typer.testing import CliRunner

from services.notify.commands import app
from services.notify.models import Delivery
from shared.db import create_engine, create_sessionmaker, transaction
from tests.support.infra import Infra

runner = CliRunner()


async def failed_delivery(infra: Infra) -> uuid.UUID:
    engine = create_engine(infra.database_url("notify"))
    now = datetime.now(UTC)
    delivery_id = uuid.uuid4()
    async with transaction(create_sessionmaker(engine)) as session:
        session.add(
            Delivery(
                delivery_id=delivery_id,
                notification_key=f"cli-test:{delivery_id}",
                template="campaign_forwarded",
                subject_id="unit-cli",
                channel="email",
                recipient=f"cli-{delivery_id.hex[:6]}@example.com",
                subject="测试",
                body_text="x",
                body_html="x",
                status="failed",
                attempts=10,
                next_attempt_at=now,
                last_error="550 mailbox unavailable",
                created_at=now,
            )
        )
    await engine.dispose()
    return delivery_id


def test_failed_lists_and_resend_requeues(infra: Infra):
    # Sync on purpose: the commands run their own event loop, as under the `qcflow` CLI.
    delivery_id = asyncio.run(failed_delivery(infra))
    env = {"QCFLOW_SERVICE": "notify", "QCFLOW_DATABASE_URL": infra.database_url("notify")}
    listed = runner.invoke(app, ["failed", "--limit", "200"], env=env)
    assert listed.exit_code == 0, listed.output
    assert str(delivery_id) in listed.output

    resent = runner.invoke(app, ["resend", str(delivery_id)], env=env)
    assert resent.exit_code == 0, resent.output
    assert "已重新排队" in resent.output
    again = runner.invoke(app, ["resend", str(delivery_id)], env=env)
    assert again.exit_code == 1
    assert "只有发送失败的投递可以重发" in again.output

    unknown = runner.invoke(app, ["resend", str(uuid.uuid4())], env=env)
    assert unknown.exit_code == 1
    assert "投递记录不存在" in unknown.output
    malformed = runner.invoke(app, ["resend", "abc"], env=env)
    assert malformed.exit_code == 2
    assert "格式不正确" in malformed.output
