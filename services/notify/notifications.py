"""Queueing a notification: render per recipient, one delivery row per recipient and channel."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from services.notify.domain.recipients import Recipient, deduplicate
from services.notify.domain.templates import DEFAULT_TEMPLATES, TemplateText, render
from services.notify.models import Delivery, MessageTemplate, Webhook, messaging_tables
from shared.db import insert_ignore, insert_ignoring_conflicts
from shared.events import NotificationSent
from shared.messaging.outbox import add_to_outbox

CHINA_OFFSET = timedelta(hours=8)
AMQP_SCHEMA = "qcflow.notification/1"
WEBHOOK_SCHEMA = "qcflow.webhook/1"
ALL_TYPES = "*"


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def china_time_text(moment: datetime) -> str:
    return (moment.astimezone(UTC) + CHINA_OFFSET).strftime("%Y年%m月%d日 %H:%M")


@dataclass(frozen=True)
class Notification:
    template: str
    key: str
    subject_id: str
    link: str
    campaign_id: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)


async def template_text(session: AsyncSession, name: str) -> TemplateText:
    stored = await session.get(MessageTemplate, name)
    if stored is None:
        return DEFAULT_TEMPLATES[name]
    return TemplateText(subject=stored.subject, text=stored.text, html=stored.html)


async def queue_notification(
    session: AsyncSession,
    notification: Notification,
    recipients: Sequence[Recipient],
    *,
    now: datetime,
) -> int:
    """Queue e-mail, in-app and AMQP deliveries per recipient and one per subscribed webhook."""
    people = deduplicate(recipients)
    template = await template_text(session, notification.template)
    context = {**notification.context, "link": notification.link}
    rows: list[dict[str, Any]] = []
    for person in people:
        message = render(template, {**context, "recipient_name": person.name})
        base = _delivery_values(notification, person, message.subject, now=now)
        rows += [
            {
                **base,
                "delivery_id": uuid.uuid4(),
                "channel": "email",
                "recipient": person.email,
                "body_text": message.text,
                "body_html": message.html,
            },
            {
                **base,
                "delivery_id": uuid.uuid4(),
                "channel": "in_app",
                "recipient": person.user_id or person.email,
                "body_text": message.text,
                "status": "sent",
                "sent_at": now,
            },
            {
                **base,
                "delivery_id": uuid.uuid4(),
                "channel": "amqp",
                "recipient": person.email,
                "payload": _amqp_payload(notification, person, message.subject, message.text, now),
            },
        ]
    inserted = await _insert_new(session, rows)
    for row in rows:
        if row["delivery_id"] in inserted and row["channel"] == "in_app":
            await _announce_in_app(session, row)
    return len(inserted) + await _queue_webhooks(session, notification, people, now=now)


async def _insert_new(session: AsyncSession, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """One INSERT for all rows; the ids of those inserted (a redelivered event's are there)."""
    if not rows:
        return set()
    statement = _insert_new_deliveries(session.get_bind().dialect.name)
    return set((await session.execute(statement, rows)).scalars())


@functools.cache
def _insert_new_deliveries(dialect_name: str) -> ReturningInsert[uuid.UUID]:
    """Built once, the rows bound at execution: written into it, they made it uncacheable."""
    return insert_ignoring_conflicts(dialect_name, Delivery).returning(Delivery.delivery_id)


def _delivery_values(
    notification: Notification, person: Recipient, subject: str, *, now: datetime
) -> dict[str, Any]:
    return {
        "delivery_id": uuid.uuid4(),
        "notification_key": notification.key,
        "template": notification.template,
        "subject_id": notification.subject_id,
        "subject": subject[:300],
        "body_text": "",
        "body_html": "",
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "sent_at": None,
        "recipient_kind": person.kind,
        "user_id": person.user_id,
        "payload": None,
    }


def _amqp_payload(
    notification: Notification, person: Recipient, subject: str, text: str, now: datetime
) -> dict[str, Any]:
    return {
        "schema": AMQP_SCHEMA,
        "notification_key": notification.key,
        "template": notification.template,
        "recipient_kind": person.kind,
        "recipient": {"name": person.name, "email": person.email, "user_id": person.user_id},
        "subject_id": notification.subject_id,
        "campaign_id": notification.campaign_id,
        "subject": subject,
        "text": text,
        "link": notification.link,
        "created_at": now.isoformat(),
    }


async def _announce_in_app(session: AsyncSession, row: Mapping[str, Any]) -> None:
    await add_to_outbox(
        session,
        messaging_tables,
        NotificationSent(
            delivery_id=str(row["delivery_id"]),
            channel="in_app",
            recipient=str(row["recipient"]),
            template=str(row["template"]),
            subject_id=str(row["subject_id"]),
        ),
    )


async def _queue_webhooks(
    session: AsyncSession, notification: Notification, people: Sequence[Recipient], *, now: datetime
) -> int:
    hooks = (await session.execute(select(Webhook).where(Webhook.enabled))).scalars()
    queued = 0
    for hook in hooks:
        if notification.template not in hook.event_types and ALL_TYPES not in hook.event_types:
            continue
        payload = {
            "schema": WEBHOOK_SCHEMA,
            "type": notification.template,
            "notification_key": notification.key,
            "subject_id": notification.subject_id,
            "campaign_id": notification.campaign_id,
            "link": notification.link,
            "data": dict(notification.context),
            "recipients": [
                {"kind": p.kind, "name": p.name, "email": p.email, "user_id": p.user_id}
                for p in people
            ],
            "created_at": now.isoformat(),
        }
        values = {
            **_delivery_values(
                notification, Recipient("webhook", "", ""), notification.template, now=now
            ),
            "channel": "webhook",
            "recipient": f"webhook:{hook.webhook_id}",
            "recipient_kind": "webhook",
            "payload": payload,
        }
        queued += await insert_ignore(session, Delivery, values)
    return queued
