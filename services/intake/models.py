"""Intake's own tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import service_metadata
from shared.messaging.tables import define_messaging_tables


class Base(DeclarativeBase):
    metadata = service_metadata()


messaging_tables = define_messaging_tables(Base.metadata)


class Campaign(Base):
    __tablename__ = "campaigns"

    campaign_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    doc_number: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    theme: Mapped[str] = mapped_column(String(200))
    national_deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RecommendingUnit(Base):
    __tablename__ = "recommending_units"

    unit_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class UnitCampaign(Base):
    """A unit's forwarding (转发) of a campaign, with its own number and earlier deadline."""

    __tablename__ = "unit_campaigns"

    unit_id: Mapped[str] = mapped_column(ForeignKey("recommending_units.unit_id"), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.campaign_id"), primary_key=True)
    doc_number: Mapped[str] = mapped_column(String(100))
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Enterprise(Base):
    __tablename__ = "enterprises"

    enterprise_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("recommending_units.unit_id"))
    name: Mapped[str] = mapped_column(String(200))


class User(Base):
    __tablename__ = "users"

    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    org_id: Mapped[str] = mapped_column(String(40))


class Application(Base):
    __tablename__ = "applications"

    application_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.campaign_id"))
    unit_id: Mapped[str] = mapped_column(ForeignKey("recommending_units.unit_id"))
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.enterprise_id"), index=True)
    owner_user_id: Mapped[str] = mapped_column(ForeignKey("users.user_id"))
    status: Mapped[str] = mapped_column(String(30))
    revision: Mapped[int] = mapped_column(Integer, default=0)
    form: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    render_error: Mapped[str | None] = mapped_column(Text)


class EvidenceFileRow(Base):
    __tablename__ = "evidence_files"

    file_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("applications.application_id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DocumentRow(Base):
    """A generated document (申报表 docx/pdf) announced by render."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("application_id", "revision", "format"),)

    document_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("applications.application_id"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(10))
    storage_key: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(120))
    template_version: Mapped[str] = mapped_column(String(60))
