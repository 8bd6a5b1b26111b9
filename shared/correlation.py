"""The correlation id of the request or message being handled, carried into every event."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def current_correlation_id() -> str:
    """The id in effect, or a fresh one when nothing (no request, no message) set it."""
    return correlation_id_var.get() or new_correlation_id()
