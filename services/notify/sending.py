"""Sending due deliveries over their channels, in three steps so a lost commit never resends.

Each step handles a batch (the deliveries due now, up to the dispatcher's batch size): two
transactions per batch, not two per mail.

1. claim, in one transaction: status ``sending``, one more attempt, a lease and the sender's
   token. Retried through a database outage: a claim whose commit landed but whose answer was
   lost is found again by its token, so the mails go out at once, not after the lease;
2. send each over its channel, outside any transaction, while the batch's send window lasts
   (what the window leaves unsent is handed back in step 3, its attempt not counted);
3. record the outcomes (sent, retrying, failed or handed back) in one transaction, retried
   through a database outage: the mails are already out, so only the bookkeeping may be repeated.

A claim whose lease ran out (the process died between 1 and 3) is due again. That resend carries
the same Message-ID / Idempotency-Key, so the receiving side can drop it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import case, or_, select
from sqlalchemy import exc as db_errors
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.channels import Channels
from services.notify.channels.email import PermanentDeliveryError
from services.notify.channels.webhook import WebhookResponse
from services.notify.domain import webhooks as signing
from services.notify.models import Delivery, Webhook, WebhookAttempt, messaging_tables
from services.notify.notifications import as_utc
from services.notify.service import RETRY_SCHEDULE_S, retry_delay
from shared.events import NotificationFailed, NotificationSent
from shared.events.notify import Channel
from shared.messaging.outbox import add_to_outbox

DUE_STATUSES = ("queued", "retrying")
CLAIMED = "sending"
WEBHOOK_DISABLE_AFTER = 5
# Longer than the slowest send (SMTP timeout 30 s, webhook 10 s) plus the step retries.
CLAIM_LEASE = timedelta(minutes=5)
STEP_RETRY_TIMEOUT_S = 240.0
SLOWEST_SEND_S = 30.0
# A batch starts no send after this long: its last send and the record's retries end in the lease.
SEND_WINDOW_S = CLAIM_LEASE.total_seconds() - STEP_RETRY_TIMEOUT_S - SLOWEST_SEND_S


@dataclass(frozen=True)
class WebhookTarget:
    webhook_id: uuid.UUID
    url: str
    secrets: list[str]


@dataclass(frozen=True)
class Claim:
    """What sending needs, read in the claim transaction (no database access while sending)."""

    delivery_id: uuid.UUID
    channel: str
    recipient: str
    recipient_kind: str | None
    template: str
    subject: str
    body_text: str
    body_html: str
    payload: dict[str, object]
    attempt: int
    webhook: WebhookTarget | None = None


@dataclass(frozen=True)
class Outcome:
    """None error: sent. Otherwise failed, for good when `permanent`."""

    error: str | None = None
    permanent: bool = False
    not_attempted: bool = False
    webhook_response: WebhookResponse | None = field(default=None, compare=False)


SENT = Outcome()
# Not sent in this batch's window: the claim is handed back, the attempt not counted.
NOT_ATTEMPTED = Outcome(not_attempted=True)


async def claim_due(
    session: AsyncSession, *, token: uuid.UUID, now: datetime, limit: int
) -> list[Claim]:
    """Step 1 for a batch: due deliveries, and claims whose lease ran out (their sender died).

    Safe to repeat with the same token: rows this token already holds come first, so a claim
    whose commit landed unanswered is found again. Row locks keep replicas apart.
    """
    ours = Delivery.claim_token == token
    query = (
        select(Delivery)
        .where(
            Delivery.status.in_((*DUE_STATUSES, CLAIMED)),
            or_(Delivery.next_attempt_at <= now, ours),
        )
        .order_by(case((ours, 0), else_=1), Delivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    deliveries = list((await session.execute(query)).scalars())
    for delivery in deliveries:
        if delivery.status == CLAIMED and delivery.claim_token == token:
            continue
        delivery.attempts += 1
        delivery.status, delivery.next_attempt_at = CLAIMED, now + CLAIM_LEASE
        delivery.claim_token = token
    return [await _claim_of(session, delivery, now) for delivery in deliveries]


async def _claim_of(session: AsyncSession, delivery: Delivery, now: datetime) -> Claim:
    return Claim(
        delivery_id=delivery.delivery_id,
        channel=delivery.channel,
        recipient=delivery.recipient,
        recipient_kind=delivery.recipient_kind,
        template=delivery.template,
        subject=delivery.subject,
        body_text=delivery.body_text,
        body_html=delivery.body_html,
        payload=dict(delivery.payload or {}),
        attempt=delivery.attempts,
        webhook=await _webhook_target(session, delivery, now)
        if delivery.channel == "webhook"
        else None,
    )


async def send(claimed: Claim, channels: Channels, *, now: datetime) -> Outcome:
    """Step 2: one attempt over the channel; never raises."""
    if claimed.channel == "email":
        return await _send_email(claimed, channels)
    if claimed.channel == "amqp":
        return await _publish_amqp(claimed, channels)
    if claimed.channel == "webhook":
        return await _post_webhook(claimed, channels, now=now)
    return Outcome(f"未知渠道 {claimed.channel}", permanent=True)


async def record_outcomes(
    session: AsyncSession,
    outcomes: Sequence[tuple[Claim, Outcome]],
    *,
    now: datetime,
    schedule: tuple[float, ...] = RETRY_SCHEDULE_S,
) -> None:
    """Step 3 for a batch; a claim taken over meanwhile (lease expired) is left to its new owner."""
    query = (
        select(Delivery)
        .where(
            Delivery.delivery_id.in_([claimed.delivery_id for claimed, _ in outcomes]),
            Delivery.status == CLAIMED,
        )
        .order_by(Delivery.delivery_id)
        .with_for_update()
    )
    held = {delivery.delivery_id: delivery for delivery in (await session.execute(query)).scalars()}
    for claimed, outcome in outcomes:
        delivery = held.get(claimed.delivery_id)
        if delivery is not None and delivery.attempts == claimed.attempt:
            await _record(session, delivery, claimed, outcome, now=now, schedule=schedule)


async def _record(
    session: AsyncSession,
    delivery: Delivery,
    claimed: Claim,
    outcome: Outcome,
    *,
    now: datetime,
    schedule: tuple[float, ...],
) -> None:
    if outcome.not_attempted:
        delivery.attempts -= 1
        delivery.status = "retrying" if delivery.attempts else "queued"
        delivery.next_attempt_at, delivery.claim_token = now, None
        return
    if claimed.webhook is not None:
        outcome = await _record_webhook_attempt(session, claimed, claimed.webhook, outcome, now)
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


def is_connection_problem(error: Exception) -> bool:
    """Worth recording again: the database (or the way to it) failed, not the statement."""
    if isinstance(error, db_errors.DBAPIError):
        return error.connection_invalidated or isinstance(
            error, db_errors.OperationalError | db_errors.InterfaceError
        )
    return isinstance(error, OSError | TimeoutError)


async def _webhook_target(
    session: AsyncSession, delivery: Delivery, now: datetime
) -> WebhookTarget | None:
    hook = await session.get(Webhook, _webhook_id(delivery.recipient))
    if hook is None or not hook.enabled:
        return None
    return WebhookTarget(hook.webhook_id, hook.url, valid_secrets(hook, now))


def _webhook_id(recipient: str) -> uuid.UUID:
    return uuid.UUID(recipient.removeprefix("webhook:"))


async def _send_email(claimed: Claim, channels: Channels) -> Outcome:
    try:
        await channels.mailer.send(
            delivery_id=str(claimed.delivery_id),
            recipient=claimed.recipient,
            subject=claimed.subject,
            text=claimed.body_text,
            html=claimed.body_html,
        )
    except PermanentDeliveryError as exc:
        return Outcome(str(exc), permanent=True)
    except Exception as exc:  # noqa: BLE001 - every other failure is retried on the schedule
        return Outcome(repr(exc))
    return SENT


def _body(claimed: Claim) -> bytes:
    payload = {
        **claimed.payload,
        "delivery_id": str(claimed.delivery_id),
        "idempotency_key": str(claimed.delivery_id),
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()


async def _publish_amqp(claimed: Claim, channels: Channels) -> Outcome:
    routing_key = f"{claimed.template}.{claimed.recipient_kind or 'unknown'}"
    try:
        await channels.amqp.publish(
            routing_key=routing_key, body=_body(claimed), message_id=str(claimed.delivery_id)
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


async def _post_webhook(claimed: Claim, channels: Channels, *, now: datetime) -> Outcome:
    target = claimed.webhook
    if target is None:
        return Outcome("回调地址已停用或已删除", permanent=True)
    body = _body(claimed)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        signing.SIGNATURE_HEADER: signing.signature_header(
            target.secrets, int(now.timestamp()), body
        ),
        "X-Qcflow-Delivery-Id": str(claimed.delivery_id),
        "Idempotency-Key": str(claimed.delivery_id),
        "X-Qcflow-Event": claimed.template,
    }
    response = await channels.webhooks.post(target.url, body, headers)
    status = response.status_code
    if status is not None and signing.is_success(status):
        return Outcome(webhook_response=response)
    reason = f"HTTP {status}: {response.error or ''}" if status is not None else response.error
    permanent = status is not None and signing.is_permanent_failure(status)
    return Outcome(reason or "", permanent=permanent, webhook_response=response)


async def _record_webhook_attempt(
    session: AsyncSession, claimed: Claim, target: WebhookTarget, outcome: Outcome, now: datetime
) -> Outcome:
    """Log the attempt and count consecutive failures; enough of them disable the webhook."""
    response = outcome.webhook_response
    if response is None:
        return outcome
    session.add(
        WebhookAttempt(
            attempt_id=uuid.uuid4(),
            delivery_id=claimed.delivery_id,
            webhook_id=target.webhook_id,
            attempt=claimed.attempt,
            attempted_at=now,
            status_code=response.status_code,
            error=response.error,
            duration_ms=response.duration_ms,
        )
    )
    hook = await session.get(Webhook, target.webhook_id, with_for_update=True)
    if hook is None:
        return outcome
    if outcome.error is None:
        hook.consecutive_failures = 0
        return outcome
    hook.consecutive_failures += 1
    if hook.consecutive_failures < WEBHOOK_DISABLE_AFTER:
        return outcome
    hook.enabled = False
    hook.disabled_reason = f"连续失败 {hook.consecutive_failures} 次，已自动停用：{outcome.error}"[
        :2000
    ]
    return Outcome(hook.disabled_reason, permanent=True, webhook_response=response)


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
