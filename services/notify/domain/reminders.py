"""When reminders are due: pure functions of the deadline and `now`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

REMINDER_DAYS = (7, 3, 1)


@dataclass(frozen=True)
class DueReminder:
    days_before: int
    deadline_at: datetime

    def key(self, prefix: str) -> str:
        # The deadline is part of the key so that an extended deadline arms its reminders again.
        return f"{prefix}:{self.deadline_at.isoformat()}:T-{self.days_before}"


def due_reminder(deadline_at: datetime, now: datetime) -> DueReminder | None:
    """The latest threshold (T-7, T-3, T-1) already reached before the deadline, if any.

    Only the latest one is returned: a scheduler that starts late sends one reminder, not three.
    """
    if now >= deadline_at:
        return None
    reached = [days for days in REMINDER_DAYS if now >= deadline_at - timedelta(days=days)]
    if not reached:
        return None
    return DueReminder(days_before=min(reached), deadline_at=deadline_at)


def overdue_key(assignment_id: str, due_at: datetime, now: datetime) -> str | None:
    """The key of the one "scoring overdue" reminder of an assignment, once it is overdue."""
    if now < due_at:
        return None
    return f"overdue:{assignment_id}:{due_at.isoformat()}"
