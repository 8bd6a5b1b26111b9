"""The per-account upload budget: refuses the one too many, forgets after a minute, 0 = off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.errors import TooManyAttemptsError
from services.intake.domain.upload_throttle import UploadThrottle

NOW = datetime(2023, 6, 27, 12, 0, tzinfo=UTC)


def test_the_upload_over_the_budget_is_refused_and_others_are_not():
    throttle = UploadThrottle(per_minute=2)
    throttle.admit("a", NOW)
    throttle.admit("a", NOW + timedelta(seconds=10))
    with pytest.raises(TooManyAttemptsError) as refused:
        throttle.admit("a", NOW + timedelta(seconds=20))
    assert refused.value.status_code == 429
    assert "请在41秒后再试" in refused.value.message
    throttle.admit("b", NOW + timedelta(seconds=20))


def test_the_budget_frees_up_after_a_minute():
    throttle = UploadThrottle(per_minute=1)
    throttle.admit("a", NOW)
    throttle.admit("a", NOW + timedelta(minutes=1))


def test_zero_turns_the_limit_off():
    throttle = UploadThrottle(per_minute=0)
    for second in range(100):
        throttle.admit("a", NOW + timedelta(seconds=second))
