"""Render's own tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import service_metadata
from shared.messaging.tables import define_messaging_tables


class Base(DeclarativeBase):
    metadata = service_metadata()


messaging_tables = define_messaging_tables(Base.metadata)


class RenderedDocument(Base):
    __tablename__ = "rendered_documents"
    __table_args__ = (UniqueConstraint("subject_id", "document_kind", "revision", "format"),)

    document_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[str] = mapped_column(String(64))
    document_kind: Mapped[str] = mapped_column(String(40))
    revision: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(10))
    storage_key: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    template_version: Mapped[str] = mapped_column(String(60))
    rendered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TableTemplateVersion(Base):
    """One version of a table template (columns, title, header and footer), as JSON."""

    __tablename__ = "table_template_versions"
    __table_args__ = (UniqueConstraint("kind", "version"),)

    template_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RenderFailure(Base):
    """A document that cannot be rendered; `document.failed` is announced once per row."""

    __tablename__ = "render_failures"
    __table_args__ = (UniqueConstraint("subject_id", "document_kind", "revision"),)

    failure_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    subject_id: Mapped[str] = mapped_column(String(64))
    document_kind: Mapped[str] = mapped_column(String(40))
    revision: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
