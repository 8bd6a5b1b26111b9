"""Notify's use cases: decide who hears what, queue deliveries, send them once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.channels.email import PermanentDeliveryError, SmtpMailer
from services.notify.domain.receipts import submission_receipt
from services.notify.models import Delivery, PendingReceipt, messaging_tables
from shared.events import ApplicationSubmitted, DocumentRendered, NotificationSent
from shared.messaging.outbox import add_to_outbox

CHINA_OFFSET = timedelta(hours=8)
RETRY_SCHEDULE_S = (30, 60, 120, 300, 600, 1200, 1800, 3600, 5400, 7200)


def retry_delay(attempts: int) -> timedelta | None:
    """Wait before the next try, or None once the schedule (ten tries, 30 s … 2 h) is used up."""
    if attempts >= len(RETRY_SCHEDULE_S):
        return None
    return timedelta(seconds=RETRY_SCHEDULE_S[attempts])


async def _receipt(session: AsyncSession, application_id: str, revision: int) -> PendingReceipt:
    receipt = await session.get(PendingReceipt, (application_id, revision), with_for_update=True)
    if receipt is None:
        receipt = PendingReceipt(application_id=application_id, revision=revision)
        session.add(receipt)
    return receipt


async def note_submission(
    session: AsyncSession, event: ApplicationSubmitted, *, public_url: str
) -> None:
    receipt = await _receipt(session, str(event.application_id), event.revision)
    receipt.submission = event.model_dump(mode="json")
    await _queue_receipt_when_complete(session, receipt, public_url=public_url)


async def note_documents(
    session: AsyncSession, event: DocumentRendered, *, public_url: str
) -> None:
    receipt = await _receipt(session, event.subject_id, event.revision)
    receipt.documents = [file.model_dump(mode="json") for file in event.files]
    await _queue_receipt_when_complete(session, receipt, public_url=public_url)


async def _queue_receipt_when_complete(
    session: AsyncSession, receipt: PendingReceipt, *, public_url: str
) -> None:
    if receipt.submission is None or receipt.documents is None or receipt.queued_at is not None:
        return
    submission = ApplicationSubmitted.model_validate(receipt.submission)
    now = datetime.now(UTC)
    base = f"{public_url}/api/applications/{submission.application_id}"
    message = submission_receipt(
        applicant_name=submission.applicant.name,
        certificate_line=submission.form.certificate_line,
        topic_name=submission.form.topic_name,
        revision=submission.revision,
        submitted_at_text=(submission.submitted_at.astimezone(UTC) + CHINA_OFFSET).strftime(
            "%Y年%m月%d日 %H:%M"
        ),
        status_url=base,
        document_urls={
            str(doc["format"]): f"{base}/documents/{doc['format']}" for doc in receipt.documents
        },
    )
    session.add(
        Delivery(
            delivery_id=uuid.uuid4(),
            notification_key=f"receipt:{submission.application_id}:r{submission.revision}",
            template="submission_receipt",
            subject_id=str(submission.application_id),
            channel="email",
            recipient=submission.applicant.email,
            subject=message.subject,
            body_text=message.text,
            body_html=message.html,
            status="queued",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    receipt.queued_at = now


async def due_delivery_ids(session: AsyncSession, *, now: datetime, limit: int) -> list[uuid.UUID]:
    query = (
        select(Delivery.delivery_id)
        .where(Delivery.status.in_(("queued", "retrying")), Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def send_delivery(
    session: AsyncSession, *, delivery_id: uuid.UUID, mailer: SmtpMailer, now: datetime
) -> None:
    """Send one due delivery; the row lock keeps replicas from sending it twice."""
    query = (
        select(Delivery)
        .where(Delivery.delivery_id == delivery_id, Delivery.status.in_(("queued", "retrying")))
        .with_for_update(skip_locked=True)
    )
    delivery = (await session.execute(query)).scalar_one_or_none()
    if delivery is None or delivery.next_attempt_at > now:
        return
    delivery.attempts += 1
    try:
        await mailer.send(
            delivery_id=str(delivery.delivery_id),
            recipient=delivery.recipient,
            subject=delivery.subject,
            text=delivery.body_text,
            html=delivery.body_html,
        )
    except PermanentDeliveryError as exc:
        delivery.status, delivery.last_error = "failed", str(exc)
        return
    except Exception as exc:  # noqa: BLE001 - every other failure is retried on the schedule
        delay = retry_delay(delivery.attempts - 1)
        delivery.last_error = repr(exc)[:2000]
        delivery.status = "failed" if delay is None else "retrying"
        delivery.next_attempt_at = now + (delay or timedelta(0))
        return
    delivery.status, delivery.sent_at, delivery.last_error = "sent", now, None
    await add_to_outbox(
        session,
        messaging_tables,
        NotificationSent(
            delivery_id=str(delivery.delivery_id),
            channel="email",
            recipient=delivery.recipient,
            template=delivery.template,
            subject_id=delivery.subject_id,
        ),
    )
