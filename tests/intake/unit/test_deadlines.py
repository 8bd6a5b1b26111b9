from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.deadlines import (
    ensure_correction_open,
    ensure_extends,
    ensure_open,
    ensure_unit_deadline_fits,
    format_china_time,
)
from services.intake.domain.errors import InvalidFieldError, TransitionNotAllowedError

DEADLINE = datetime(2023, 6, 28, 9, 30, tzinfo=UTC)  # 17:30 in Lhasa's official time


def test_format_china_time_shows_beijing_time():
    assert format_china_time(DEADLINE) == "2023年06月28日 17:30"


def test_ensure_open_at_the_deadline_instant_is_open():
    ensure_open(DEADLINE, DEADLINE, "西藏自治区质量协会")


def test_ensure_open_after_the_deadline_shows_it_in_beijing_time():
    with pytest.raises(TransitionNotAllowedError) as refused:
        ensure_open(DEADLINE + timedelta(seconds=1), DEADLINE, "西藏自治区质量协会")
    assert "2023年06月28日 17:30（北京时间）" in refused.value.message


def test_ensure_correction_open_without_a_correction_deadline_is_open():
    ensure_correction_open(DEADLINE, None)


def test_ensure_correction_open_after_it_is_refused():
    with pytest.raises(TransitionNotAllowedError):
        ensure_correction_open(DEADLINE + timedelta(minutes=1), DEADLINE)


def test_unit_deadline_after_the_national_one_is_refused():
    with pytest.raises(InvalidFieldError):
        ensure_unit_deadline_fits(DEADLINE + timedelta(days=1), DEADLINE)


def test_extension_must_move_the_deadline_later():
    ensure_extends(DEADLINE, DEADLINE + timedelta(days=1))
    with pytest.raises(InvalidFieldError):
        ensure_extends(DEADLINE, DEADLINE)
