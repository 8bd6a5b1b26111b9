"""Deadlines are instants; people read them in Asia/Shanghai time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from services.intake.domain.errors import InvalidFieldError, TransitionNotAllowedError

CHINA = ZoneInfo("Asia/Shanghai")


def format_china_time(instant: datetime) -> str:
    return instant.astimezone(CHINA).strftime("%Y年%m月%d日 %H:%M")


def ensure_open(now: datetime, deadline_at: datetime, unit_name: str) -> None:
    if now > deadline_at:
        raise TransitionNotAllowedError(
            f"{unit_name}的申报截止时间为 {format_china_time(deadline_at)}（北京时间），"
            "已过截止时间，不能再提交。如确有特殊情况，请联系推荐单位申请延期。"
        )


def ensure_correction_open(now: datetime, correction_deadline_at: datetime | None) -> None:
    if correction_deadline_at is not None and now > correction_deadline_at:
        raise TransitionNotAllowedError(
            f"退回修改的截止时间为 {format_china_time(correction_deadline_at)}（北京时间），"
            "已过期限，不能再重新提交。请联系推荐单位。"
        )


def ensure_unit_deadline_fits(unit_deadline_at: datetime, national_deadline_at: datetime) -> None:
    if unit_deadline_at > national_deadline_at:
        raise InvalidFieldError(
            f"截止时间：推荐单位的截止时间须早于全国截止时间 "
            f"{format_china_time(national_deadline_at)}（北京时间），请提前。"
        )


def ensure_extends(previous_deadline_at: datetime, new_deadline_at: datetime) -> None:
    if new_deadline_at <= previous_deadline_at:
        raise InvalidFieldError(
            f"新截止时间：须晚于当前截止时间 {format_china_time(previous_deadline_at)}"
            "（北京时间），请重新选择。"
        )
