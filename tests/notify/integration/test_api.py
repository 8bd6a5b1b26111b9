"""The HTTP API: in-app notifications, template editing, admin-only operations, clear 4xx."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.notify.main import create_app
from shared.auth import Principal, Role, issue_token
from tests.notify.events import forwarded, person, rendered, submitted, tag
from tests.notify.integration.conftest import NodeFactory, eventually
from tests.support.infra import Infra
from tests.support.smtp import SmtpServer


@pytest.fixture
async def api(
    infra: Infra, bucket: str, tmp_path: Path, smtp: SmtpServer
) -> AsyncIterator[FastAPI]:
    """The app without its lifespan: routes only need the database."""
    settings = infra.settings("notify", smtp_port=smtp.port, bucket=bucket, data_dir=tmp_path)
    app = create_app(settings)
    yield app
    await app.state.runtime.engine.dispose()


def client(app: FastAPI, user_id: str, role: Role = Role.APPLICANT) -> httpx.AsyncClient:
    settings = app.state.runtime.settings
    token = issue_token(
        Principal(user_id=user_id, role=role, org_id="org", name="测试"),
        secret=settings.auth_secret.get_secret_value(),
        ttl_s=3600,
    )
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://notify",
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_in_app_list_and_mark_read(api: FastAPI, notify_node: NodeFactory):
    node = await notify_node()
    run = tag()
    event = submitted(run)
    await node.publish(event)
    await node.publish(rendered(str(event.application_id)))
    async with client(api, f"user-{run}") as me, client(api, "someone-else") as other:

        async def mine() -> list[dict[str, object]]:
            return (await me.get("/api/notifications")).json()  # type: ignore[no-any-return]

        listed = await eventually(mine)
        assert [n["template"] for n in listed] == ["submission_receipt"]
        assert listed[0]["read"] is False
        notification_id = listed[0]["notification_id"]
        assert (await other.post(f"/api/notifications/{notification_id}/read")).status_code == 404
        read = await me.post(f"/api/notifications/{notification_id}/read")
        assert read.status_code == 200
        assert read.json()["read"] is True
        assert (await me.get("/api/notifications", params={"unread": "true"})).json() == []
        bad = await me.post("/api/notifications/not-a-uuid/read")
        assert bad.status_code == 422
        assert "通知编号" in bad.json()["detail"]


async def test_mark_all_read_touches_only_the_callers_notifications(
    api: FastAPI, notify_node: NodeFactory
):
    node = await notify_node()
    mine, theirs = tag(), tag()
    for run in (mine, mine, theirs):
        event = submitted(run)
        await node.publish(event)
        await node.publish(rendered(str(event.application_id)))
    async with client(api, f"user-{mine}") as me, client(api, f"user-{theirs}") as other:

        async def unread(who: httpx.AsyncClient) -> list[dict[str, object]]:
            found = await who.get("/api/notifications", params={"unread": "true"})
            return found.json()  # type: ignore[no-any-return]

        assert await eventually(lambda: _count_is(unread(me), 2))
        assert await eventually(lambda: _count_is(unread(other), 1))
        marked = await me.post("/api/notifications/read-all")
        assert marked.status_code == 200
        assert marked.json() == {"marked_read": 2}
        assert await unread(me) == []
        assert len(await unread(other)) == 1
        assert (await me.post("/api/notifications/read-all")).json() == {"marked_read": 0}


async def _count_is(found: Awaitable[list[dict[str, object]]], count: int) -> bool:
    return len(await found) == count


async def test_anonymous_and_non_admin_are_refused(api: FastAPI):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://n") as c:
        assert (await c.get("/api/notifications")).status_code == 401
    async with client(api, "applicant-x") as applicant:
        refused = await applicant.get("/api/admin/templates")
        assert refused.status_code == 403
        assert "全国管理员" in refused.json()["detail"]
        assert (await applicant.get("/api/admin/deliveries/failed")).status_code == 403


async def test_admin_edits_a_template_and_the_next_mail_uses_it(
    api: FastAPI, notify_node: NodeFactory, smtp: SmtpServer
):
    async with client(api, "admin-1", Role.NATIONAL_ADMIN) as admin:
        templates = (await admin.get("/api/admin/templates")).json()
        forwarded_template = next(t for t in templates if t["name"] == "campaign_forwarded")
        broken = await admin.put(
            "/api/admin/templates/campaign_forwarded",
            json={**_editable(forwarded_template), "subject": "{{ no_such_variable }}"},
        )
        assert broken.status_code == 422
        assert "模板无法渲染" in broken.json()["detail"]
        unknown = await admin.put("/api/admin/templates/nope", json=_editable(forwarded_template))
        assert unknown.status_code == 404
        empty = await admin.put(
            "/api/admin/templates/campaign_forwarded", json={"subject": "", "text": "x"}
        )
        assert empty.status_code == 422
        assert "邮件标题模板" in empty.json()["detail"]
        assert "HTML 正文模板" in empty.json()["detail"]
        saved = await admin.put(
            "/api/admin/templates/campaign_forwarded",
            json={
                **_editable(forwarded_template),
                "subject": "【通知】{{ unit_name }}已转发（截止 {{ deadline_text }}）",
            },
        )
        assert saved.status_code == 200, saved.text
        try:
            node = await notify_node()
            run = tag()
            await node.publish(forwarded(run, enterprises=1))
            found = await eventually(lambda: smtp.inbox.to(f"member0-{run}@example.com"))
            assert str(found[0]["Subject"]).startswith("【通知】西藏自治区质量协会已转发")
        finally:
            reset = await admin.delete("/api/admin/templates/campaign_forwarded")
            assert reset.json()["customized"] is False


def _editable(template: dict[str, object]) -> dict[str, object]:
    return {key: template[key] for key in ("subject", "text", "html")}


async def test_webhook_registration_is_validated(api: FastAPI):
    async with client(api, "admin-1", Role.NATIONAL_ADMIN) as admin:
        bad_url = await admin.post(
            "/api/admin/webhooks", json={"url": "ftp://x", "event_types": ["*"]}
        )
        assert bad_url.status_code == 422
        assert "回调地址" in bad_url.json()["detail"]
        bad_type = await admin.post(
            "/api/admin/webhooks", json={"url": "https://oa.example/hook", "event_types": ["x"]}
        )
        assert bad_type.status_code == 422
        assert "订阅的通知类型" in bad_type.json()["detail"]
        created = await admin.post(
            "/api/admin/webhooks",
            json={"url": "https://oa.example/hook", "event_types": ["application_awarded"]},
        )
        assert created.status_code == 201
        assert created.json()["secret"].startswith("whsec_")
        hook_id = created.json()["webhook_id"]
        listed = (await admin.get("/api/admin/webhooks")).json()
        assert all("secret" not in h for h in listed)
        rotated = await admin.post(f"/api/admin/webhooks/{hook_id}/rotate-secret", json={})
        assert rotated.json()["secret"] != created.json()["secret"]
        assert rotated.json()["previous_secret_valid_until"] is not None
        off = await admin.patch(f"/api/admin/webhooks/{hook_id}", json={"enabled": False})
        assert off.json()["enabled"] is False
        missing = await admin.post(f"/api/admin/deliveries/{uuid.uuid4()}/resend")
        assert missing.status_code == 404


async def test_failed_deliveries_listed_and_resent_over_the_api(
    api: FastAPI, notify_node: NodeFactory
):
    # Port 1 refuses connections; with a one-step schedule the mail fails after two tries.
    node = await notify_node(smtp_port=1)
    node.dispatcher._schedule = (0.1,)
    run = tag()
    await node.publish(forwarded(run, enterprises=1))
    async with client(api, "admin-1", Role.NATIONAL_ADMIN) as admin:

        async def failed_here() -> list[dict[str, object]]:
            rows = (await admin.get("/api/admin/deliveries/failed")).json()
            return [r for r in rows if r["recipient"] == person("member0", run).email]

        rows = await eventually(failed_here)
        assert rows[0]["attempts"] == 2
        resent = await admin.post(f"/api/admin/deliveries/{rows[0]['delivery_id']}/resend")
        assert resent.status_code == 200
        assert resent.json()["status"] == "queued"
        again = await admin.post(f"/api/admin/deliveries/{rows[0]['delivery_id']}/resend")
        assert again.status_code in {200, 409}
