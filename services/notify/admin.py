"""Use cases behind the API: in-app lists, templates, webhooks, failed deliveries."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.domain.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from services.notify.domain.templates import (
    DEFAULT_TEMPLATES,
    TEMPLATE_LABELS,
    TemplateText,
    check_template,
)
from services.notify.models import Delivery, MessageTemplate, Webhook, WebhookAttempt
from services.notify.notifications import ALL_TYPES, template_text
from shared.auth import Principal, Role

MAX_LIST = 200


def require_admin(actor: Principal) -> None:
    if actor.role is not Role.NATIONAL_ADMIN:
        raise ForbiddenError("仅全国管理员（national_admin）可以进行此操作。")


# --- in-app ----------------------------------------------------------------------------------


async def list_notifications(
    session: AsyncSession, *, actor: Principal, unread_only: bool, limit: int
) -> list[Delivery]:
    query = (
        select(Delivery)
        .where(Delivery.channel == "in_app", Delivery.recipient == actor.user_id)
        .order_by(Delivery.created_at.desc())
        .limit(min(limit, MAX_LIST))
    )
    if unread_only:
        query = query.where(Delivery.read_at.is_(None))
    return list((await session.execute(query)).scalars())


async def mark_read(
    session: AsyncSession, *, actor: Principal, delivery_id: uuid.UUID, now: datetime
) -> Delivery:
    delivery = await session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.channel != "in_app" or delivery.recipient != actor.user_id:
        raise NotFoundError("通知不存在，或不是发给您的通知。")
    if delivery.read_at is None:
        delivery.read_at = now
    return delivery


async def mark_all_read(session: AsyncSession, *, actor: Principal, now: datetime) -> int:
    """Every unread in-app notification of the caller; returns how many were unread."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.channel == "in_app",
            Delivery.recipient == actor.user_id,
            Delivery.read_at.is_(None),
        )
        .values(read_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- templates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateView:
    name: str
    label: str
    template: TemplateText
    customized: bool


def _known_template(name: str) -> None:
    if name not in DEFAULT_TEMPLATES:
        known = "、".join(DEFAULT_TEMPLATES)
        raise NotFoundError(f"模板 {name!r} 不存在，可选：{known}。")


async def list_templates(session: AsyncSession, *, actor: Principal) -> list[TemplateView]:
    require_admin(actor)
    stored = {t.name for t in (await session.execute(select(MessageTemplate))).scalars()}
    return [
        TemplateView(
            name, TEMPLATE_LABELS[name], await template_text(session, name), name in stored
        )
        for name in DEFAULT_TEMPLATES
    ]


async def save_template(
    session: AsyncSession, *, actor: Principal, name: str, template: TemplateText, now: datetime
) -> TemplateView:
    require_admin(actor)
    _known_template(name)
    problem = check_template(template)
    if problem is not None:
        raise InvalidInputError(f"模板无法渲染：{problem}。请检查变量名和 Jinja2 语法后重试。")
    stored = await session.get(MessageTemplate, name, with_for_update=True)
    if stored is None:
        stored = MessageTemplate(name=name)
        session.add(stored)
    stored.subject, stored.text, stored.html = template.subject, template.text, template.html
    stored.updated_at, stored.updated_by = now, actor.user_id
    return TemplateView(name, TEMPLATE_LABELS[name], template, customized=True)


async def reset_template(session: AsyncSession, *, actor: Principal, name: str) -> TemplateView:
    require_admin(actor)
    _known_template(name)
    await session.execute(delete(MessageTemplate).where(MessageTemplate.name == name))
    return TemplateView(name, TEMPLATE_LABELS[name], DEFAULT_TEMPLATES[name], customized=False)


# --- webhooks --------------------------------------------------------------------------------


def _check_webhook(url: str, event_types: list[str]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise InvalidInputError("回调地址（url）：须为 http:// 或 https:// 开头的完整地址。")
    unknown = [t for t in event_types if t != ALL_TYPES and t not in DEFAULT_TEMPLATES]
    if not event_types or unknown:
        known = "、".join([ALL_TYPES, *DEFAULT_TEMPLATES])
        problem = "、".join(unknown) + " 无效" if unknown else "不能为空"
        raise InvalidInputError(f"订阅的通知类型（event_types）：{problem}，可选：{known}。")


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


async def create_webhook(
    session: AsyncSession, *, actor: Principal, url: str, event_types: list[str], now: datetime
) -> Webhook:
    require_admin(actor)
    _check_webhook(url, event_types)
    hook = Webhook(
        webhook_id=uuid.uuid4(),
        url=url,
        event_types=sorted(set(event_types)),
        secret=new_secret(),
        previous_secret=None,
        previous_secret_until=None,
        enabled=True,
        consecutive_failures=0,
        disabled_reason=None,
        created_at=now,
        created_by=actor.user_id,
    )
    session.add(hook)
    await session.flush()
    return hook


async def _webhook(session: AsyncSession, webhook_id: uuid.UUID) -> Webhook:
    hook = await session.get(Webhook, webhook_id, with_for_update=True)
    if hook is None:
        raise NotFoundError("回调（webhook）不存在，请检查编号。")
    return hook


async def list_webhooks(session: AsyncSession, *, actor: Principal) -> list[Webhook]:
    require_admin(actor)
    return list((await session.execute(select(Webhook).order_by(Webhook.created_at))).scalars())


async def set_webhook_enabled(
    session: AsyncSession, *, actor: Principal, webhook_id: uuid.UUID, enabled: bool
) -> Webhook:
    require_admin(actor)
    hook = await _webhook(session, webhook_id)
    hook.enabled = enabled
    if enabled:
        hook.consecutive_failures, hook.disabled_reason = 0, None
    return hook


async def rotate_secret(
    session: AsyncSession,
    *,
    actor: Principal,
    webhook_id: uuid.UUID,
    grace: timedelta,
    now: datetime,
) -> Webhook:
    """A new secret; the old one still signs (a second `v1=`) until the grace period ends."""
    require_admin(actor)
    hook = await _webhook(session, webhook_id)
    hook.previous_secret, hook.previous_secret_until = hook.secret, now + grace
    hook.secret = new_secret()
    return hook


async def webhook_attempts(
    session: AsyncSession, *, actor: Principal, webhook_id: uuid.UUID
) -> list[WebhookAttempt]:
    require_admin(actor)
    await _webhook(session, webhook_id)
    query = (
        select(WebhookAttempt)
        .where(WebhookAttempt.webhook_id == webhook_id)
        .order_by(WebhookAttempt.attempted_at.desc())
        .limit(MAX_LIST)
    )
    return list((await session.execute(query)).scalars())


# --- failed deliveries -----------------------------------------------------------------------


async def failed_deliveries(session: AsyncSession, *, limit: int = MAX_LIST) -> list[Delivery]:
    query = (
        select(Delivery)
        .where(Delivery.status == "failed")
        .order_by(Delivery.created_at.desc())
        .limit(min(limit, MAX_LIST))
    )
    return list((await session.execute(query)).scalars())


async def resend(session: AsyncSession, *, delivery_id: uuid.UUID, now: datetime) -> Delivery:
    """Queue a failed delivery again with a fresh retry schedule and the same idempotency key."""
    delivery = await session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise NotFoundError("投递记录不存在，请检查编号。")
    if delivery.status != "failed":
        raise ConflictError(f"只有发送失败的投递可以重发，该投递当前状态为 {delivery.status}。")
    if delivery.channel == "webhook":
        hook = await session.get(Webhook, uuid.UUID(delivery.recipient.removeprefix("webhook:")))
        if hook is None or not hook.enabled:
            raise ConflictError("该回调已停用，请先重新启用回调后再重发。")
    delivery.status, delivery.attempts, delivery.next_attempt_at = "queued", 0, now
    return delivery
