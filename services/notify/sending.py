"""Sending one due delivery over its channel, once, with retries on the schedule."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.channels import Channels
from services.notify.channels.email import PermanentDeliveryError
from services.notify.domain import webhooks as signing
from services.notify.models import Delivery, Webhook, WebhookAttempt, messaging_tables
from services.notify.notifications import as_utc
from services.notify.service import RETRY_SCHEDULE_S, retry_delay
from shared.events import NotificationFailed, NotificationSent
from shared.events.notify import Channel
from shared.messaging.outbox import add_to_outbox

DUE_STATUSES = ("queued", "retrying")
WEBHOOK_DISABLE_AFTER = 5


@dataclass(frozen=True)
class Outcome:
    """None error: sent. Otherwise failed, for good when `permanent`."""

    error: str | None = None
    permanent: bool = False


SENT = Outcome()


async def due_delivery_ids(session: AsyncSession, *, now: datetime, limit: int) -> list[uuid.UUID]:
    query = (
        select(Delivery.delivery_id)
        .where(Delivery.status.in_(DUE_STATUSES), Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def send_delivery(
    session: AsyncSession,
    *,
    delivery_id: uuid.UUID,
    channels: Channels,
    now: datetime,
    schedule: tuple[float, ...] = RETRY_SCHEDULE_S,
) -> None:
    """Send one due delivery; the row lock keeps replicas from sending it twice."""
    query = (
        select(Delivery)
        .where(Delivery.delivery_id == delivery_id, Delivery.status.in_(DUE_STATUSES))
        .with_for_update(skip_locked=True)
    )
    delivery = (await session.execute(query)).scalar_one_or_none()
    if delivery is None or as_utc(delivery.next_attempt_at) > now:
        return
    delivery.attempts += 1
    outcome = await _attempt(session, delivery, channels, now=now)
    if outcome.error is None:
        delivery.status, delivery.sent_at, delivery.last_error = "sent", now, None
        await add_to_outbox(session, messaging_tables, _sent_event(delivery))
        return
    delivery.last_error = outcome.error[:2000]
    delay = None if outcome.permanent else retry_delay(delivery.attempts - 1, schedule)
    if delay is None:
        delivery.status = "failed"
        await add_to_outbox(session, messaging_tables, _failed_event(delivery))
        return
    delivery.status, delivery.next_attempt_at = "retrying", now + delay


async def _attempt(
    session: AsyncSession, delivery: Delivery, channels: Channels, *, now: datetime
) -> Outcome:
    if delivery.channel == "email":
        return await _send_email(delivery, channels)
    if delivery.channel == "amqp":
        return await _publish_amqp(delivery, channels)
    if delivery.channel == "webhook":
        return await _post_webhook(session, delivery, channels, now=now)
    return Outcome(f"未知渠道 {delivery.channel}", permanent=True)


async def _send_email(delivery: Delivery, channels: Channels) -> Outcome:
    try:
        await channels.mailer.send(
            delivery_id=str(delivery.delivery_id),
            recipient=delivery.recipient,
            subject=delivery.subject,
            text=delivery.body_text,
            html=delivery.body_html,
        )
    except PermanentDeliveryError as exc:
        return Outcome(str(exc), permanent=True)
    except Exception as exc:  # noqa: BLE001 - every other failure is retried on the schedule
        return Outcome(repr(exc))
    return SENT


def _body(delivery: Delivery) -> bytes:
    payload = {
        **(delivery.payload or {}),
        "delivery_id": str(delivery.delivery_id),
        "idempotency_key": str(delivery.delivery_id),
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()


async def _publish_amqp(delivery: Delivery, channels: Channels) -> Outcome:
    routing_key = f"{delivery.template}.{delivery.recipient_kind or 'unknown'}"
    try:
        await channels.amqp.publish(
            routing_key=routing_key, body=_body(delivery), message_id=str(delivery.delivery_id)
        )
    except Exception as exc:  # noqa: BLE001 - a broker outage is transient; retried on the schedule
        return Outcome(repr(exc))
    return SENT


def valid_secrets(hook: Webhook, now: datetime) -> list[str]:
    """The current secret, and the previous one while its grace period lasts."""
    secrets = [hook.secret]
    until = hook.previous_secret_until
    if hook.previous_secret and until is not None and as_utc(until) > now:
        secrets.append(hook.previous_secret)
    return secrets


async def _post_webhook(
    session: AsyncSession, delivery: Delivery, channels: Channels, *, now: datetime
) -> Outcome:
    webhook_id = uuid.UUID(delivery.recipient.removeprefix("webhook:"))
    hook = await session.get(Webhook, webhook_id, with_for_update=True)
    if hook is None or not hook.enabled:
        return Outcome("回调地址已停用或已删除", permanent=True)
    body = _body(delivery)
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        signing.SIGNATURE_HEADER: signing.signature_header(
            valid_secrets(hook, now), timestamp, body
        ),
        "X-Qcflow-Delivery-Id": str(delivery.delivery_id),
        "Idempotency-Key": str(delivery.delivery_id),
        "X-Qcflow-Event": delivery.template,
    }
    response = await channels.webhooks.post(hook.url, body, headers)
    session.add(
        WebhookAttempt(
            attempt_id=uuid.uuid4(),
            delivery_id=delivery.delivery_id,
            webhook_id=hook.webhook_id,
            attempt=delivery.attempts,
            attempted_at=now,
            status_code=response.status_code,
            error=response.error,
            duration_ms=response.duration_ms,
        )
    )
    status = response.status_code
    if status is not None and signing.is_success(status):
        hook.consecutive_failures = 0
        return SENT
    return _webhook_failure(hook, status, response.error or "")


def _webhook_failure(hook: Webhook, status: int | None, error: str) -> Outcome:
    hook.consecutive_failures += 1
    reason = f"HTTP {status}: {error}" if status is not None else error
    if hook.consecutive_failures >= WEBHOOK_DISABLE_AFTER:
        hook.enabled = False
        hook.disabled_reason = f"连续失败 {hook.consecutive_failures} 次，已自动停用：{reason}"[
            :2000
        ]
        return Outcome(hook.disabled_reason, permanent=True)
    return Outcome(reason, permanent=status is not None and signing.is_permanent_failure(status))


def _sent_event(delivery: Delivery) -> NotificationSent:
    return NotificationSent(
        delivery_id=str(delivery.delivery_id),
        channel=_channel(delivery),
        recipient=delivery.recipient,
        template=delivery.template,
        subject_id=delivery.subject_id,
    )


def _failed_event(delivery: Delivery) -> NotificationFailed:
    return NotificationFailed(
        delivery_id=str(delivery.delivery_id),
        channel=_channel(delivery),
        recipient=delivery.recipient,
        template=delivery.template,
        subject_id=delivery.subject_id,
        reason=delivery.last_error or "",
        attempts=delivery.attempts,
    )


def _channel(delivery: Delivery) -> Channel:
    return cast("Channel", delivery.channel)
