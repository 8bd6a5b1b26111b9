"""When reminders are due: pure functions of the deadline and `now`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

REMINDER_DAYS = (7, 3, 1)
PACKAGE_SUBMITTED = "submitted"
PACKAGE_RETURNED = "returned"
PACKAGE_ACCEPTED = "accepted"
UNIT_DISQUALIFIED = "disqualified"
# Within one revision a package is submitted first, then returned or accepted.
_PACKAGE_STEP_ORDER = {PACKAGE_SUBMITTED: 0, PACKAGE_RETURNED: 1, PACKAGE_ACCEPTED: 1}
# How far ahead a deadline can be and still have a reminder due.
REMINDER_WINDOW = timedelta(days=max(REMINDER_DAYS))


@dataclass(frozen=True)
class DueReminder:
    days_before: int
    deadline_at: datetime

    def key(self, prefix: str) -> str:
        # The deadline is part of the key so that an extended deadline arms its reminders again.
        return f"{prefix}:{self.deadline_at.isoformat()}:T-{self.days_before}"


def due_reminder(
    deadline_at: datetime, now: datetime, *, armed_at: datetime | None = None
) -> DueReminder | None:
    """The latest threshold (T-7, T-3, T-1) already reached before the deadline, if any.

    Only the latest one is returned: a scheduler that starts late sends one reminder, not three.
    A threshold reached before `armed_at` (e.g. before the draft existed) is not due: whoever
    acted after it already knew how much time was left.
    """
    if now >= deadline_at:
        return None
    reached = [days for days in REMINDER_DAYS if now >= deadline_at - timedelta(days=days)]
    if not reached:
        return None
    latest = min(reached)
    if armed_at is not None and armed_at > deadline_at - timedelta(days=latest):
        return None
    return DueReminder(days_before=latest, deadline_at=deadline_at)


def overdue_key(assignment_id: str, due_at: datetime, now: datetime) -> str | None:
    """The key of the one "scoring overdue" reminder of an assignment, once it is overdue."""
    if now < due_at:
        return None
    return f"overdue:{assignment_id}:{due_at.isoformat()}"


def is_later_package_step(current: tuple[str, int], step: tuple[str, int]) -> bool:
    """Whether `step` (status, revision) supersedes `current`, whatever order events arrive in.

    A late step of an older revision must not undo a newer one; disqualification is final.
    """
    (current_status, current_revision), (status, revision) = current, step
    if current_status == UNIT_DISQUALIFIED:
        return False
    if status == UNIT_DISQUALIFIED:
        return True
    later = (revision, _PACKAGE_STEP_ORDER[status])
    return later >= (current_revision, _PACKAGE_STEP_ORDER[current_status])


def is_package_outstanding(status: str | None) -> bool:
    """The unit still owes the national office its package: none yet, or returned to it."""
    return status is None or status == PACKAGE_RETURNED


def are_newer_names(named_at: datetime | None, event_at: datetime) -> bool:
    """Whether a draft event's names replace the stored ones (`named_at`: none stored yet).

    Draft events may arrive out of order: names from an older event must not undo newer ones.
    """
    return named_at is None or event_at >= named_at
