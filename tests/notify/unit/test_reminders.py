"""Reminder thresholds T-7 / T-3 / T-1 with fixed clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.notify.domain.reminders import due_reminder, overdue_key

DEADLINE = datetime(2023, 6, 28, 9, 0, tzinfo=UTC)  # 17:00 Beijing time


def at(days_before: float) -> datetime:
    return DEADLINE - timedelta(days=days_before)


def test_nothing_is_due_more_than_seven_days_before():
    assert due_reminder(DEADLINE, at(7.01)) is None


def test_each_threshold_is_due_from_its_moment():
    assert [
        due.days_before if (due := due_reminder(DEADLINE, at(days))) else None
        for days in (7, 5, 3, 2.5, 1, 0.1)
    ] == [7, 7, 3, 3, 1, 1]


def test_nothing_is_due_at_or_after_the_deadline():
    assert due_reminder(DEADLINE, DEADLINE) is None
    assert due_reminder(DEADLINE, DEADLINE + timedelta(hours=1)) is None


def test_a_late_start_sends_only_the_latest_threshold():
    due = due_reminder(DEADLINE, at(2))
    assert due is not None
    assert due.days_before == 3


def test_keys_differ_per_threshold_and_per_deadline():
    keys = {
        due.key("unit:x")
        for now, deadline in (
            (at(7), DEADLINE),
            (at(3), DEADLINE),
            (at(1), DEADLINE),
            (at(1), DEADLINE + timedelta(days=2)),
        )
        if (due := due_reminder(deadline, now))
    }
    assert len(keys) == 4


def test_same_threshold_gives_the_same_key_at_different_moments():
    first, later = due_reminder(DEADLINE, at(3)), due_reminder(DEADLINE, at(2))
    assert first is not None
    assert later is not None
    assert first.key("k") == later.key("k")


def test_overdue_only_once_due():
    due_at = DEADLINE
    assert overdue_key("a1", due_at, due_at - timedelta(seconds=1)) is None
    assert overdue_key("a1", due_at, due_at) == overdue_key(
        "a1", due_at, due_at + timedelta(days=2)
    )
