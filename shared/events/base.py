"""The envelope every bus message shares."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.correlation import current_correlation_id


class Event(BaseModel):
    """A fact that happened. Routing key == ``type``; consumers ignore unknown fields."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    campaign_id: str | None = None
    correlation_id: str = Field(default_factory=current_correlation_id)
    causation_id: str | None = None
