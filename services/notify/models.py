"""Notify's own tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import service_metadata
from shared.messaging.tables import define_messaging_tables


class Base(DeclarativeBase):
    metadata = service_metadata()


messaging_tables = define_messaging_tables(Base.metadata)


class PendingReceipt(Base):
    """What the receipt for one submitted revision needs; it goes out once both halves arrived."""

    __tablename__ = "pending_receipts"

    application_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission: Mapped[dict[str, object] | None] = mapped_column(JSON)
    documents: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """One message to one recipient over one channel: queued → sending → sent | retrying | failed.

    Channels: email (recipient = address), in_app (recipient = user id, else address; sent at
    once, `read_at` when read), amqp (one message per recipient), webhook (recipient =
    ``webhook:<id>``, one per notification and subscribed webhook).
    """

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("notification_key", "recipient", "channel"),)

    delivery_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    notification_key: Mapped[str] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recipient_kind: Mapped[str | None] = mapped_column(String(30))
    user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who holds the current claim: a sender whose claim commit went unanswered reads it back.
    claim_token: Mapped[uuid.UUID | None] = mapped_column()


class ApplicationRecord(Base):
    """Who an application concerns, kept from the events (event-carried state)."""

    __tablename__ = "notify_applications"

    application_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(64), index=True)
    unit_id: Mapped[str] = mapped_column(String(64), index=True)
    enterprise_id: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(30))
    enterprise_name: Mapped[str] = mapped_column(String(200))
    group_name: Mapped[str] = mapped_column(String(200))
    topic_name: Mapped[str] = mapped_column(String(300))
    applicant: Mapped[dict[str, Any]] = mapped_column(JSON)
    enterprise_contact: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    unit_contact: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    correction_deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    certificate_serial: Mapped[str | None] = mapped_column(String(64), index=True)


class CampaignUnit(Base):
    """A unit's forwarding of a campaign: its deadline, contacts and member enterprises."""

    __tablename__ = "campaign_units"

    campaign_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_name: Mapped[str] = mapped_column(String(200))
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    unit_contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    members: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # The unit's own deadline for its package to the national office (None: forwarded before
    # notify kept it).
    national_deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the unit last extended `deadline_at` (None: never): the new deadline's thresholds
    # already reached then are not reminded, the members were just told the new deadline.
    deadline_extended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DraftRecord(Base):
    """A draft 申报表 and its applicant; reminded of the unit's deadline until submitted.

    An edit (`application.draft_updated`) may overtake the draft's creation: until the creation
    arrives, `applicant` and `created_at` are None and the draft is not reminded.
    """

    __tablename__ = "notify_drafts"

    application_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(64), index=True)
    unit_id: Mapped[str] = mapped_column(String(64), index=True)
    enterprise_id: Mapped[str] = mapped_column(String(64))
    applicant: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    enterprise_name: Mapped[str] = mapped_column(String(200))
    group_name: Mapped[str] = mapped_column(String(200))
    topic_name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the event that set the names happened (its created_at or updated_at): an older
    # event arriving late keeps its hands off them.
    named_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UnitPackageRecord(Base):
    """Where a unit's package to the national office stands, from review's package.* events."""

    __tablename__ = "notify_unit_packages"

    campaign_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    revision: Mapped[int] = mapped_column(Integer)


class ReviewerAssignment(Base):
    __tablename__ = "reviewer_assignments"

    assignment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(64))
    reviewer: Mapped[dict[str, Any]] = mapped_column(JSON)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    group_name: Mapped[str] = mapped_column(String(200))
    topic_name: Mapped[str] = mapped_column(String(300))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MessageTemplate(Base):
    """An administrator's edit of a template; without a row the built-in default applies."""

    __tablename__ = "message_templates"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64))


class Webhook(Base):
    __tablename__ = "webhooks"

    webhook_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    url: Mapped[str] = mapped_column(String(500))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(128))
    previous_secret: Mapped[str | None] = mapped_column(String(128))
    previous_secret_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    enabled: Mapped[bool] = mapped_column(Boolean)
    consecutive_failures: Mapped[int] = mapped_column(Integer)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))


class WebhookAttempt(Base):
    """The delivery log: one row per HTTP attempt."""

    __tablename__ = "webhook_attempts"

    attempt_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    delivery_id: Mapped[uuid.UUID] = mapped_column(index=True)
    webhook_id: Mapped[uuid.UUID] = mapped_column(index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)


class SentReminder(Base):
    """A reminder that went out; its key is inserted in the transaction that queues it."""

    __tablename__ = "sent_reminders"

    reminder_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
