"""Review's own tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import service_metadata
from shared.messaging.tables import define_messaging_tables


class Base(DeclarativeBase):
    metadata = service_metadata()


messaging_tables = define_messaging_tables(Base.metadata)


class Entry(Base):
    """An application as the recommending unit's reviewers see it."""

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
