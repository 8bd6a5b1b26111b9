from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.review.domain.awards import (
    certificate_serial,
    ensure_can_finalise,
    next_serial_number,
)
from services.review.domain.errors import (
    DeadlinePassedError,
    InvalidInputError,
    StateConflictError,
)
from services.review.domain.quotas import ensure_before_deadline, ensure_justified, is_over_quota

# 2023-08-31 23:59:59 in Beijing
NATIONAL_DEADLINE = datetime(2023, 8, 31, 15, 59, 59, tzinfo=UTC)


def test_recommending_one_second_late_is_refused_in_beijing_time():
    ensure_before_deadline(NATIONAL_DEADLINE, NATIONAL_DEADLINE)
    with pytest.raises(DeadlinePassedError, match="北京时间 2023年08月31日 23:59"):
        ensure_before_deadline(NATIONAL_DEADLINE + timedelta(seconds=1), NATIONAL_DEADLINE)


@pytest.mark.parametrize(
    ("quota", "already", "adding", "over"),
    [(None, 10, 5, False), (3, 0, 3, False), (3, 2, 2, True), (0, 0, 1, True)],
)
def test_over_quota(quota: int | None, already: int, adding: int, over: bool):
    assert is_over_quota(quota, already, adding) is over


def test_over_quota_needs_a_written_justification():
    ensure_justified(over_quota=False, justification="")
    ensure_justified(over_quota=True, justification="获省级一等奖")
    with pytest.raises(InvalidInputError, match="超名额说明"):
        ensure_justified(over_quota=True, justification="  ")


def test_certificate_serials_continue_per_year():
    assert certificate_serial(2023, 7) == "QC2023-0007"
    assert next_serial_number(["QC2023-0007", "QC2022-0099", "QC2023-0002"], 2023) == 8
    assert next_serial_number([], 2024) == 1


def test_public_notice_must_end_and_objections_be_handled():
    now = datetime(2023, 10, 1, tzinfo=UTC)
    with pytest.raises(StateConflictError, match="公示期尚未结束"):
        ensure_can_finalise(now + timedelta(days=1), 0, now)
    with pytest.raises(StateConflictError, match="1 条异议未处理"):
        ensure_can_finalise(now, 1, now)
    ensure_can_finalise(now, 0, now)
    ensure_can_finalise(None, 0, now)
