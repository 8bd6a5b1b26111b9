"""HTTP bodies of the review API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

FIELD_LABELS: dict[str, str] = {}


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    application_id: uuid.UUID
    revision: int
    unit_id: str
    enterprise_name: str
    group_name: str
    topic_name: str
    topic_type: str
    status: str
    evidence_count: int
    submitted_at: datetime
