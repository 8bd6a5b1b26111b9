"""Review's table for the recommending unit's package to the national office (附件2–5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.review.models import Base


class UnitPackage(Base):
    """One package per recommending unit per campaign; uploaded parts are JSON descriptions."""

    __tablename__ = "unit_packages"

    unit_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    revision: Mapped[int] = mapped_column(Integer, default=0)
    unit_contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    return_reasons: Mapped[list[str]] = mapped_column(JSON)
    recommendation_scan: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    statistics: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=None)
    statistics_request_id: Mapped[str | None] = mapped_column(String(40), default=None)
    work_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
