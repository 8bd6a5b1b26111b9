"""Intake's own tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
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
    contacts: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)


class RecommendingUnit(Base):
    __tablename__ = "recommending_units"

    unit_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(10))  # prefix of registration numbers, e.g. XZ
    kind: Mapped[str | None] = mapped_column(String(20))  # 省区市 / 副省级城市 / … (UnitKind)


class UnitCampaign(Base):
    """A unit's forwarding (转发) of a campaign, with its own number and earlier deadline."""

    __tablename__ = "unit_campaigns"

    unit_id: Mapped[str] = mapped_column(ForeignKey("recommending_units.unit_id"), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.campaign_id"), primary_key=True)
    doc_number: Mapped[str] = mapped_column(String(100))
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    title: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    contacts: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    forwarded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeadlineExtension(Base):
    """An extension of a unit's deadline, kept as the audit record of who moved it and why."""

    __tablename__ = "deadline_extensions"

    extension_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    unit_id: Mapped[str] = mapped_column(String(40), index=True)
    campaign_id: Mapped[str] = mapped_column(String(40))
    previous_deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    new_deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    extended_by: Mapped[str] = mapped_column(String(40))
    extended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Enterprise(Base):
    __tablename__ = "enterprises"

    enterprise_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("recommending_units.unit_id"))
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    contacts: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)


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
    decision: Mapped[dict[str, object] | None] = mapped_column(JSON)
    correction_deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    group_registration_number: Mapped[str | None] = mapped_column(String(40))
    topic_registration_number: Mapped[str | None] = mapped_column(String(40))


class IdempotentSubmission(Base):
    """The response a submit gave under an Idempotency-Key, replayed for the same key."""

    __tablename__ = "idempotent_submissions"

    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column()
    response: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RegistrationCounter(Base):
    """Next sequence number per unit, year and series (group or topic)."""

    __tablename__ = "registration_counters"

    unit_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    series: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class QcGroup(Base):
    """质量管理小组注册登记表: one registration of a group for a year."""

    __tablename__ = "qc_groups"

    group_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    registration_number: Mapped[str] = mapped_column(String(40), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[str] = mapped_column(String(40))
    enterprise_id: Mapped[str] = mapped_column(String(40), index=True)
    owner_user_id: Mapped[str] = mapped_column(String(40))
    form: Mapped[dict[str, object]] = mapped_column(JSON)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class QcTopic(Base):
    """A topic (课题) registered by a group, with its own number."""

    __tablename__ = "qc_topics"

    topic_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    registration_number: Mapped[str] = mapped_column(String(40), unique=True)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("qc_groups.group_id"), index=True)
    form: Mapped[dict[str, object]] = mapped_column(JSON)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
    scan_status: Mapped[str] = mapped_column(String(20), default="not_scanned")


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


class UploadSession(Base):
    """A resumable upload: chunks land as separate objects until the upload is completed."""

    __tablename__ = "upload_sessions"

    upload_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("applications.application_id"), index=True
    )
    owner_user_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(255))
    declared_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    chunk_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_file_id: Mapped[uuid.UUID | None] = mapped_column()


class DeliveryRecord(Base):
    """What notify reported about a message concerning an application (e.g. the receipt mail)."""

    __tablename__ = "delivery_records"

    delivery_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(300))
    template: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
