"""Deadlines are instants; people read them in Asia/Shanghai time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from services.intake.domain.errors import TransitionNotAllowedError

CHINA = ZoneInfo("Asia/Shanghai")


def format_china_time(instant: datetime) -> str:
    return instant.astimezone(CHINA).strftime("%Y年%m月%d日 %H:%M")


def ensure_open(now: datetime, deadline_at: datetime, unit_name: str) -> None:
    if now > deadline_at:
        raise TransitionNotAllowedError(
            f"{unit_name}的申报截止时间为 {format_china_time(deadline_at)}（北京时间），"
            "已过截止时间，不能再提交。如确有特殊情况，请联系推荐单位申请延期。"
        )
