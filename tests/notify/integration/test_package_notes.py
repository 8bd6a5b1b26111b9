"""Each step of a unit's package reaches the unit contacts by e-mail and in-app (real SMTP)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.notify.main import create_app
from shared.auth import Principal, Role, issue_token
from shared.events import PackageAccepted, PackageReminded, PackageReturned, PackageSubmitted
from tests.notify.events import person, tag
from tests.notify.integration.conftest import NodeFactory, eventually
from tests.support.infra import Infra
from tests.support.smtp import SmtpServer

DEADLINE = datetime(2023, 8, 31, 9, 0, tzinfo=UTC)  # 17:00 in Beijing


@pytest.fixture
async def api(
    infra: Infra, bucket: str, tmp_path: Path, smtp: SmtpServer
) -> AsyncIterator[FastAPI]:
    settings = infra.settings("notify", smtp_port=smtp.port, bucket=bucket, data_dir=tmp_path)
    app = create_app(settings)
    yield app
    await app.state.runtime.engine.dispose()


def in_app_client(app: FastAPI, user_id: str) -> httpx.AsyncClient:
    settings = app.state.runtime.settings
    token = issue_token(
        Principal(user_id=user_id, role=Role.UNIT_SECRETARY, org_id="unit", name="次仁"),
        secret=settings.auth_secret.get_secret_value(),
        ttl_s=3600,
    )
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://notify",
        headers={"Authorization": f"Bearer {token}"},
    )


def step(run: str, **extra: Any) -> dict[str, Any]:
    return {
        "campaign_id": f"c-{run}",
        "unit_id": f"unit-{run}",
        "unit_name": "西藏自治区质量协会",
        "campaign_year": 2023,
        "revision": 1,
        "unit_contacts": (
            person("unitsec", run, user_id=f"sec-{run}"),
            person("unitoffice", run),
        ),
        "decided_by": "caq-secretary",
        **extra,
    }


def bodies(smtp: SmtpServer, role: str, run: str, subject_part: str) -> list[str]:
    found = []
    for message in smtp.inbox.to(f"{role}-{run}@example.com"):
        if subject_part in str(message["Subject"]):
            plain = message.get_body(preferencelist=("plain",))
            found.append("" if plain is None else str(plain.get_content()))
    return found


def count_of(
    smtp: SmtpServer, role: str, run: str, subject_part: str, count: int
) -> Callable[[], bool]:
    return lambda: len(bodies(smtp, role, run, subject_part)) == count


async def test_every_package_step_reaches_the_unit_contacts(
    notify_node: NodeFactory, smtp: SmtpServer, api: FastAPI
):
    node = await notify_node()
    run = tag()

    await node.publish(PackageSubmitted(**step(run)), times=2)
    await node.publish(PackageReturned(**step(run), reasons=("活动统计表未盖章",)))
    await node.publish(PackageSubmitted(**step(run, revision=2)))
    await node.publish(PackageAccepted(**step(run, revision=2)))

    for role in ("unitsec", "unitoffice"):
        assert await eventually(count_of(smtp, role, run, "推荐材料包已接收", 1)), role
        # r1 (published twice, sent once) and r2
        assert await eventually(count_of(smtp, role, run, "推荐材料包已提交", 2)), role
    [returned] = bodies(smtp, "unitsec", run, "退回修改")
    assert "1. 活动统计表未盖章" in returned
    async with in_app_client(api, f"sec-{run}") as me:

        async def listed_templates() -> list[str]:
            listed = (await me.get("/api/notifications")).json()
            return sorted(n["template"] for n in listed)

        assert await listed_templates() == [
            "package_accepted",
            "package_returned",
            "package_submitted",
            "package_submitted",
        ]


async def test_a_reminder_carries_the_national_deadline_and_each_reminder_is_sent(
    notify_node: NodeFactory, smtp: SmtpServer
):
    node = await notify_node()
    run = tag()
    reminder = step(run, revision=0, national_deadline_at=DEADLINE, message="请尽快提交")

    await node.publish(PackageReminded(**reminder))
    await node.publish(PackageReminded(**reminder))

    assert await eventually(lambda: len(bodies(smtp, "unitsec", run, "请提交推荐材料包")) == 2)
    body = bodies(smtp, "unitoffice", run, "请提交推荐材料包")[0]
    assert "2023年08月31日 17:00（北京时间）" in body
    assert "中国质量协会留言：请尽快提交" in body
