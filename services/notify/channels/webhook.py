"""Webhook POSTs over HTTP (httpx); an attempt never raises, it reports what happened."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class WebhookResponse:
    status_code: int | None
    error: str | None
    duration_ms: int


class WebhookSender:
    def __init__(self, *, timeout_s: float = 10.0) -> None:
        self._timeout_s = timeout_s

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> WebhookResponse:
        started = time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=self._timeout_s, follow_redirects=False) as client:
                response = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return WebhookResponse(None, repr(exc)[:2000], _elapsed_ms(started))
        error = None if response.is_success else response.text[:500]
        return WebhookResponse(response.status_code, error, _elapsed_ms(started))


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
