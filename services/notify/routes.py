"""Notify's HTTP API: the in-app list, and the administrator's templates, webhooks, deliveries."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from services.notify import admin
from services.notify.domain.templates import TemplateText
from services.notify.models import Delivery, Webhook, WebhookAttempt
from shared.http import CurrentPrincipal, Now, RuntimeDep

FIELD_LABELS = {
    "subject": "邮件标题模板（subject）",
    "text": "纯文本正文模板（text）",
    "html": "HTML 正文模板（html）",
    "url": "回调地址（url）",
    "event_types": "订阅的通知类型（event_types）",
    "enabled": "是否启用（enabled）",
    "grace_seconds": "旧密钥宽限期（grace_seconds，秒）",
    "delivery_id": "投递编号",
    "notification_id": "通知编号",
    "webhook_id": "回调编号",
    "limit": "条数（limit）",
}


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TemplateIn(StrictModel):
    subject: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1, max_length=20000)
    html: str = Field(min_length=1, max_length=40000)


class WebhookIn(StrictModel):
    url: str = Field(min_length=1, max_length=500)
    event_types: list[str] = Field(min_length=1, max_length=50)


class WebhookPatch(StrictModel):
    enabled: bool


class RotateIn(StrictModel):
    grace_seconds: int = Field(default=86400, ge=0, le=30 * 86400)


def notification_out(delivery: Delivery) -> dict[str, Any]:
    return {
        "notification_id": str(delivery.delivery_id),
        "template": delivery.template,
        "subject": delivery.subject,
        "text": delivery.body_text,
        "subject_id": delivery.subject_id,
        "created_at": delivery.created_at.isoformat(),
        "read": delivery.read_at is not None,
        "read_at": delivery.read_at.isoformat() if delivery.read_at else None,
    }


def delivery_out(delivery: Delivery) -> dict[str, Any]:
    return {
        "delivery_id": str(delivery.delivery_id),
        "notification_key": delivery.notification_key,
        "template": delivery.template,
        "channel": delivery.channel,
        "recipient": delivery.recipient,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "next_attempt_at": delivery.next_attempt_at.isoformat(),
        "created_at": delivery.created_at.isoformat(),
    }


def webhook_out(hook: Webhook, *, with_secret: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "webhook_id": str(hook.webhook_id),
        "url": hook.url,
        "event_types": hook.event_types,
        "enabled": hook.enabled,
        "consecutive_failures": hook.consecutive_failures,
        "disabled_reason": hook.disabled_reason,
        "previous_secret_valid_until": (
            hook.previous_secret_until.isoformat() if hook.previous_secret_until else None
        ),
    }
    if with_secret:
        out["secret"] = hook.secret  # shown when created or rotated, never listed
    return out


def attempt_out(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "delivery_id": str(attempt.delivery_id),
        "attempt": attempt.attempt,
        "attempted_at": attempt.attempted_at.isoformat(),
        "status_code": attempt.status_code,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
    }


def template_out(view: admin.TemplateView) -> dict[str, Any]:
    return {
        "name": view.name,
        "label": view.label,
        "customized": view.customized,
        "subject": view.template.subject,
        "text": view.template.text,
        "html": view.template.html,
    }


def router() -> APIRouter:
    api = APIRouter(prefix="/api")
    _in_app_routes(api)
    _template_routes(api)
    _webhook_routes(api)
    _delivery_routes(api)
    return api


def _in_app_routes(api: APIRouter) -> None:
    @api.get("/notifications", summary="我的站内通知", tags=["站内通知"])
    async def my_notifications(
        runtime: RuntimeDep,
        actor: CurrentPrincipal,
        unread: Annotated[bool, Query(description="只看未读")] = False,
        limit: Annotated[int, Query(ge=1, le=admin.MAX_LIST)] = 50,
    ) -> list[dict[str, Any]]:
        async with runtime.transaction() as session:
            found = await admin.list_notifications(
                session, actor=actor, unread_only=unread, limit=limit
            )
            return [notification_out(d) for d in found]

    @api.post("/notifications/read-all", summary="全部标为已读", tags=["站内通知"])
    async def read_all(runtime: RuntimeDep, actor: CurrentPrincipal, now: Now) -> dict[str, int]:
        async with runtime.transaction() as session:
            return {"marked_read": await admin.mark_all_read(session, actor=actor, now=now)}

    @api.post("/notifications/{notification_id}/read", summary="标为已读", tags=["站内通知"])
    async def read(
        runtime: RuntimeDep, actor: CurrentPrincipal, now: Now, notification_id: uuid.UUID
    ) -> dict[str, Any]:
        async with runtime.transaction() as session:
            delivery = await admin.mark_read(
                session, actor=actor, delivery_id=notification_id, now=now
            )
            return notification_out(delivery)


def _template_routes(api: APIRouter) -> None:
    @api.get("/admin/templates", summary="通知模板列表", tags=["管理：通知模板"])
    async def templates(runtime: RuntimeDep, actor: CurrentPrincipal) -> list[dict[str, Any]]:
        async with runtime.transaction() as session:
            return [template_out(v) for v in await admin.list_templates(session, actor=actor)]

    @api.put("/admin/templates/{name}", summary="修改通知模板", tags=["管理：通知模板"])
    async def save(
        runtime: RuntimeDep, actor: CurrentPrincipal, now: Now, name: str, body: TemplateIn
    ) -> dict[str, Any]:
        template = TemplateText(subject=body.subject, text=body.text, html=body.html)
        async with runtime.transaction() as session:
            view = await admin.save_template(
                session, actor=actor, name=name, template=template, now=now
            )
        return template_out(view)

    @api.delete("/admin/templates/{name}", summary="恢复默认模板", tags=["管理：通知模板"])
    async def reset(runtime: RuntimeDep, actor: CurrentPrincipal, name: str) -> dict[str, Any]:
        async with runtime.transaction() as session:
            return template_out(await admin.reset_template(session, actor=actor, name=name))


def _webhook_routes(api: APIRouter) -> None:
    tags: list[str | Any] = ["管理：回调（webhook）"]

    @api.post("/admin/webhooks", status_code=201, summary="登记回调", tags=tags)
    async def create(
        runtime: RuntimeDep, actor: CurrentPrincipal, now: Now, body: WebhookIn
    ) -> dict[str, Any]:
        async with runtime.transaction() as session:
            hook = await admin.create_webhook(
                session, actor=actor, url=body.url, event_types=body.event_types, now=now
            )
            return webhook_out(hook, with_secret=True)

    @api.get("/admin/webhooks", summary="回调列表", tags=tags)
    async def hooks(runtime: RuntimeDep, actor: CurrentPrincipal) -> list[dict[str, Any]]:
        async with runtime.transaction() as session:
            return [webhook_out(h) for h in await admin.list_webhooks(session, actor=actor)]

    @api.patch("/admin/webhooks/{webhook_id}", summary="启用或停用回调", tags=tags)
    async def patch(
        runtime: RuntimeDep, actor: CurrentPrincipal, webhook_id: uuid.UUID, body: WebhookPatch
    ) -> dict[str, Any]:
        async with runtime.transaction() as session:
            hook = await admin.set_webhook_enabled(
                session, actor=actor, webhook_id=webhook_id, enabled=body.enabled
            )
            return webhook_out(hook)

    @api.post("/admin/webhooks/{webhook_id}/rotate-secret", summary="轮换签名密钥", tags=tags)
    async def rotate(
        runtime: RuntimeDep,
        actor: CurrentPrincipal,
        now: Now,
        webhook_id: uuid.UUID,
        body: RotateIn,
    ) -> dict[str, Any]:
        async with runtime.transaction() as session:
            hook = await admin.rotate_secret(
                session,
                actor=actor,
                webhook_id=webhook_id,
                grace=timedelta(seconds=body.grace_seconds),
                now=now,
            )
            return webhook_out(hook, with_secret=True)

    @api.get("/admin/webhooks/{webhook_id}/attempts", summary="回调投递日志", tags=tags)
    async def attempts(
        runtime: RuntimeDep, actor: CurrentPrincipal, webhook_id: uuid.UUID
    ) -> list[dict[str, Any]]:
        async with runtime.transaction() as session:
            found = await admin.webhook_attempts(session, actor=actor, webhook_id=webhook_id)
            return [attempt_out(a) for a in found]


def _delivery_routes(api: APIRouter) -> None:
    tags: list[str | Any] = ["管理：投递"]

    @api.get("/admin/deliveries/failed", summary="发送失败的投递", tags=tags)
    async def failed(
        runtime: RuntimeDep,
        actor: CurrentPrincipal,
        limit: Annotated[int, Query(ge=1, le=admin.MAX_LIST)] = 100,
    ) -> list[dict[str, Any]]:
        admin.require_admin(actor)
        async with runtime.transaction() as session:
            return [delivery_out(d) for d in await admin.failed_deliveries(session, limit=limit)]

    @api.post("/admin/deliveries/{delivery_id}/resend", summary="重发失败的投递", tags=tags)
    async def resend(
        runtime: RuntimeDep, actor: CurrentPrincipal, now: Now, delivery_id: uuid.UUID
    ) -> dict[str, Any]:
        admin.require_admin(actor)
        async with runtime.transaction() as session:
            return delivery_out(await admin.resend(session, delivery_id=delivery_id, now=now))
