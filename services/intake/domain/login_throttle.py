"""Login throttling: a sliding window of failures per (username, client address)."""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime, timedelta

from services.intake.domain.errors import TooManyAttemptsError

MAX_FAILURES = 5
WINDOW = timedelta(minutes=5)


class LoginThrottle:
    """In-process on purpose: it only slows guessing; per-replica counters are enough for that."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: timedelta = WINDOW) -> None:
        self._max_failures = max_failures
        self._window = window
        self._failures: defaultdict[tuple[str, str], deque[datetime]] = defaultdict(deque)

    def ensure_allowed(self, username: str, address: str, now: datetime) -> None:
        key = (username, address)
        recent = self._recent(key, now)
        if not recent:
            self._failures.pop(key, None)  # keep memory bounded by recent failures only
        if len(recent) >= self._max_failures:
            wait_s = int((recent[0] + self._window - now).total_seconds()) + 1
            raise TooManyAttemptsError(
                f"登录失败次数过多，请在{wait_s}秒后再试；如忘记密码请联系推荐单位。"
            )

    def record_failure(self, username: str, address: str, now: datetime) -> None:
        self._recent((username, address), now).append(now)

    def record_success(self, username: str, address: str) -> None:
        self._failures.pop((username, address), None)

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        return failures
