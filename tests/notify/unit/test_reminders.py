"""Reminder thresholds T-7 / T-3 / T-1 with fixed clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notify.domain.reminders import (
    PACKAGE_ACCEPTED,
    PACKAGE_RETURNED,
    PACKAGE_SUBMITTED,
    UNIT_DISQUALIFIED,
    are_newer_names,
    due_reminder,
    is_later_package_step,
    is_package_outstanding,
    overdue_key,
)

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


def test_a_threshold_reached_before_the_draft_existed_is_not_due():
    assert due_reminder(DEADLINE, at(2), armed_at=at(2.5)) is None


def test_a_draft_created_between_thresholds_gets_the_next_one():
    due = due_reminder(DEADLINE, at(1), armed_at=at(2.5))
    assert due is not None
    assert due.days_before == 1


def test_a_draft_created_before_a_threshold_gets_it():
    due = due_reminder(DEADLINE, at(3), armed_at=at(10))
    assert due is not None
    assert due.days_before == 3


@pytest.mark.parametrize(
    ("current", "step", "is_later"),
    [
        ((PACKAGE_SUBMITTED, 1), (PACKAGE_RETURNED, 1), True),
        ((PACKAGE_RETURNED, 1), (PACKAGE_SUBMITTED, 2), True),
        ((PACKAGE_SUBMITTED, 2), (PACKAGE_RETURNED, 1), False),
        ((PACKAGE_RETURNED, 1), (PACKAGE_SUBMITTED, 1), False),
        ((PACKAGE_SUBMITTED, 2), (PACKAGE_ACCEPTED, 2), True),
        ((PACKAGE_ACCEPTED, 2), (UNIT_DISQUALIFIED, 0), True),
        ((UNIT_DISQUALIFIED, 0), (PACKAGE_SUBMITTED, 3), False),
    ],
)
def test_package_steps_arriving_in_any_order_keep_the_newest(current, step, is_later):
    assert is_later_package_step(current, step) is is_later


@pytest.mark.parametrize(
    ("status", "is_outstanding"),
    [
        (None, True),
        (PACKAGE_RETURNED, True),
        (PACKAGE_SUBMITTED, False),
        (PACKAGE_ACCEPTED, False),
        (UNIT_DISQUALIFIED, False),
    ],
)
def test_a_package_is_outstanding_until_submitted(status, is_outstanding):
    assert is_package_outstanding(status) is is_outstanding


@pytest.mark.parametrize(
    ("named_at", "event_at", "replaces"),
    [
        (None, at(5), True),  # nothing stored yet: an edit overtaking its creation
        (at(5), at(4), True),  # a later edit
        (at(5), at(5), True),  # the same event again
        (at(4), at(5), False),  # the creation (or an older edit) arriving after a newer edit
    ],
)
def test_draft_names_are_replaced_only_by_an_event_at_least_as_new(named_at, event_at, replaces):
    assert are_newer_names(named_at, event_at) is replaces
