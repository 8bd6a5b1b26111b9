"""Webhook signatures and how an HTTP answer is classified."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

SIGNATURE_HEADER = "X-Qcflow-Signature"
RETRYABLE_CLIENT_STATUSES = frozenset({408, 429})
HTTP_OK_MIN, HTTP_OK_MAX = 200, 299
HTTP_CLIENT_MIN, HTTP_CLIENT_MAX = 400, 499


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """`t=<unix>,v1=<hex>[,v1=<hex>]`: one v1 per valid secret (two during a rotation)."""
    parts = [f"t={timestamp}", *(f"v1={sign(secret, timestamp, body)}" for secret in secrets)]
    return ",".join(parts)


def verify(header: str, secret: str, body: bytes, *, now: int, tolerance_s: int = 300) -> bool:
    """What a receiver does: one of the v1 signatures matches and the timestamp is fresh."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [value for name, value in fields if name == "t"]
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        return False
    timestamp = int(timestamps[0])
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, value) for name, value in fields if name == "v1")


def is_success(status: int) -> bool:
    return HTTP_OK_MIN <= status <= HTTP_OK_MAX


def is_permanent_failure(status: int) -> bool:
    """A 4xx (except 408 and 429) means the request itself is refused: retrying cannot help."""
    return HTTP_CLIENT_MIN <= status <= HTTP_CLIENT_MAX and status not in RETRYABLE_CLIENT_STATUSES
