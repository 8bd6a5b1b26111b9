"""Review's own tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import service_metadata
from shared.messaging.tables import define_messaging_tables


class Base(DeclarativeBase):
    metadata = service_metadata()


messaging_tables = define_messaging_tables(Base.metadata)


class Entry(Base):
    """An application as the recommending unit's reviewers see it (its latest revision)."""

    __tablename__ = "entries"

    application_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    campaign_id: Mapped[str | None] = mapped_column(String(40))
    unit_id: Mapped[str] = mapped_column(String(40), index=True)
    enterprise_id: Mapped[str] = mapped_column(String(40))
    enterprise_name: Mapped[str] = mapped_column(String(200))
    group_name: Mapped[str] = mapped_column(String(200))
    topic_name: Mapped[str] = mapped_column(String(200))
    topic_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30))
    evidence_count: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    unit_score: Mapped[str | None] = mapped_column(String(10), default=None)
    national_score: Mapped[str | None] = mapped_column(String(10), default=None)
    rank: Mapped[int | None] = mapped_column(Integer, default=None)
    over_quota: Mapped[bool] = mapped_column(Boolean, default=False)
    justification: Mapped[str] = mapped_column(Text, default="")
    certificate_serial: Mapped[str | None] = mapped_column(String(40), unique=True, default=None)
    provisional_decision: Mapped[str | None] = mapped_column(String(20), default=None)
    public_notice_until: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )


class EntryRevision(Base):
    """Every revision as submitted, kept for the record."""

    __tablename__ = "entry_revisions"

    application_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(40))
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EntryFile(Base):
    __tablename__ = "entry_files"

    file_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(500))


class UnitCampaign(Base):
    """A recommending unit in one campaign: its deadlines (from campaign.forwarded) and quota."""

    __tablename__ = "unit_campaigns"

    unit_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    unit_name: Mapped[str] = mapped_column(String(200))
    campaign_year: Mapped[int] = mapped_column(Integer)
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    national_deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    quota: Mapped[int | None] = mapped_column(Integer, default=None)
    disqualified_reason: Mapped[str | None] = mapped_column(Text, default=None)


class Reviewer(Base):
    """An expert in a pool: a unit's (pool_id = unit id) or the national one (pool_id "caq")."""

    __tablename__ = "reviewers"

    pool_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200))
    enterprise_id: Mapped[str] = mapped_column(String(40))
    conflict_enterprise_ids: Mapped[list[str]] = mapped_column(JSON)


class Assignment(Base):
    __tablename__ = "assignments"

    assignment_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    level: Mapped[str] = mapped_column(String(10))
    pool_id: Mapped[str] = mapped_column(String(40))
    reviewer_user_id: Mapped[str] = mapped_column(String(80), index=True)
    sheet_id: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20))
    marks: Mapped[dict[str, str]] = mapped_column(JSON)
    comments: Mapped[dict[str, str]] = mapped_column(JSON)
    total: Mapped[str | None] = mapped_column(String(10), default=None)
    recusal_reason: Mapped[str] = mapped_column(Text, default="")
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class AuditRecord(Base):
    """Who decided what, when and why."""

    __tablename__ = "audit_log"

    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor_id: Mapped[str] = mapped_column(String(80))
    actor_role: Mapped[str] = mapped_column(String(30))
    actor_name: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[str] = mapped_column(String(40), index=True)
    application_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class Objection(Base):
    """An objection (异议) raised during the public-notice period (公示)."""

    __tablename__ = "objections"

    objection_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    raised_by: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(Text, default=None)


class UnitTable(Base):
    """A requested 推荐表 / 成果评审汇总表 / 活动统计表 and, once rendered, its files."""

    __tablename__ = "unit_tables"

    request_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(40), index=True)
    campaign_id: Mapped[str] = mapped_column(String(40))
    table_kind: Mapped[str] = mapped_column(String(40))
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    failure: Mapped[str | None] = mapped_column(Text, default=None)
