from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.errors import TooManyAttemptsError
from services.intake.domain.login_throttle import LoginThrottle

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def fail(throttle: LoginThrottle, times: int, who: str = "applicant", ip: str = "10.0.0.1"):
    for _ in range(times):
        throttle.record_failure(who, ip, NOW)


def test_five_failures_block_the_sixth_attempt():
    throttle = LoginThrottle()
    fail(throttle, 5)
    with pytest.raises(TooManyAttemptsError) as refused:
        throttle.ensure_allowed("applicant", "10.0.0.1", NOW)
    assert refused.value.status_code == 429
    assert "301秒后再试" in refused.value.message


def test_four_failures_still_allow():
    throttle = LoginThrottle()
    fail(throttle, 4)
    throttle.ensure_allowed("applicant", "10.0.0.1", NOW)


def test_other_address_and_other_user_are_unaffected():
    throttle = LoginThrottle()
    fail(throttle, 5)
    throttle.ensure_allowed("applicant", "10.0.0.2", NOW)
    throttle.ensure_allowed("xizang-secretary", "10.0.0.1", NOW)


def test_failures_leave_the_window_after_five_minutes():
    throttle = LoginThrottle()
    fail(throttle, 5)
    throttle.ensure_allowed("applicant", "10.0.0.1", NOW + timedelta(minutes=5))
