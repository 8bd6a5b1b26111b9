"""What a ClamAV reply means. Anything but a clear answer holds the file: never assume clean."""

from __future__ import annotations

from enum import StrEnum


class ScanStatus(StrEnum):
    NOT_SCANNED = "not_scanned"  # no scanner configured
    CLEAN = "clean"
    HELD = "held"  # scanner unavailable or unclear: not released until scanned
    INFECTED = "infected"


RELEASED = frozenset({ScanStatus.NOT_SCANNED, ScanStatus.CLEAN})


def verdict(reply: bytes) -> ScanStatus:
    text = reply.rstrip(b"\0\n").decode("utf-8", errors="replace").strip()
    if text.endswith("FOUND"):
        return ScanStatus.INFECTED
    if text.endswith(": OK") or text == "OK":
        return ScanStatus.CLEAN
    return ScanStatus.HELD
