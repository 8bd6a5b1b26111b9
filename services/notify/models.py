"""Notify's own tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String, Text, UniqueConstraint
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
    """One message to one recipient over one channel: queued → sent | retrying | failed."""

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
