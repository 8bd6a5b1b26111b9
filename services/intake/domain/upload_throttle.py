"""Upload rate limit: a sliding one-minute window of upload requests per user."""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime, timedelta

from services.intake.domain.errors import TooManyAttemptsError

WINDOW = timedelta(minutes=1)


class UploadThrottle:
    """In-process like the login throttle: it caps one account's flood on each replica."""

    def __init__(self, per_minute: int) -> None:
        self._per_minute = per_minute
        self._uploads: defaultdict[str, deque[datetime]] = defaultdict(deque)

    def admit(self, user_id: str, now: datetime) -> None:
        """Count this upload, or refuse it (429) when the user is over the limit."""
        if self._per_minute <= 0:
            return
        recent = self._uploads[user_id]
        while recent and recent[0] <= now - WINDOW:
            recent.popleft()
        if len(recent) >= self._per_minute:
            wait_s = int((recent[0] + WINDOW - now).total_seconds()) + 1
            raise TooManyAttemptsError(
                f"上传过于频繁：每个账号每分钟最多上传{self._per_minute}个文件，"
                f"请在{wait_s}秒后再试。"
            )
        recent.append(now)
