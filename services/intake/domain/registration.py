"""Registration numbers: unit prefix, year, sequence (XZ-2023-0001; topics XZ-2023-T0001)."""

from __future__ import annotations

GROUP_SERIES = "group"
TOPIC_SERIES = "topic"


def registration_prefix(unit_code: str | None, unit_id: str) -> str:
    return (unit_code or unit_id).upper()


def group_registration_number(prefix: str, year: int, sequence: int) -> str:
    return f"{prefix}-{year}-{sequence:04d}"


def topic_registration_number(prefix: str, year: int, sequence: int) -> str:
    return f"{prefix}-{year}-T{sequence:04d}"
