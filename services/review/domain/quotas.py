"""名额 and the national deadline for recommending."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from services.review.domain.errors import DeadlinePassedError, InvalidInputError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def ensure_before_deadline(now: datetime, deadline_at: datetime) -> None:
    if now > deadline_at:
        local = deadline_at.astimezone(SHANGHAI).strftime("%Y年%m月%d日 %H:%M")
        raise DeadlinePassedError(
            f"推荐截止时间（北京时间 {local}）已过，不能再向全国推荐。"
            "如需延期，请联系中国质量协会。"
        )


def is_over_quota(quota: int | None, already_recommended: int, adding: int) -> bool:
    return quota is not None and already_recommended + adding > quota


def ensure_justified(*, over_quota: bool, justification: str) -> None:
    if over_quota and not justification.strip():
        raise InvalidInputError(
            "超名额说明：推荐数量超过本单位名额，请填写书面说明，提交中国质量协会批准。"
        )
