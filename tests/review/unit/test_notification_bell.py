"""The bell's wiring on the console pages: notify's URL in the page and in the CSP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.review.main import create_app
from shared.settings import settings_for

NOTIFY = "https://notify.qcflow.example.com"


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """Review without its lifespan: pages are rendered without database, broker or storage."""
    app = create_app(settings_for("review", data_dir=tmp_path, notify_public_url=NOTIFY))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://review") as client:
        yield client
    await app.state.runtime.engine.dispose()


@pytest.mark.parametrize(
    ("path", "page_script"),
    [
        ("/console", "/console/static/console.js"),
        ("/console/awards", "/console/static/console.js"),
        ("/console/package", "/console/package/script.js"),
        ("/console/packages", "/console/package/script.js"),
    ],
)
async def test_bell_console_page_points_at_notify_and_may_fetch_from_it(
    console: httpx.AsyncClient, path: str, page_script: str
):
    response = await console.get(path)

    assert response.status_code == 200
    assert f'data-notify-url="{NOTIFY}"' in response.text
    bell, page = (
        response.text.index('<script src="/console/static/notifications.js">'),
        response.text.index(f'<script src="{page_script}">'),
    )
    assert bell < page, "the page script mounts the bell: notifications.js must load first"
    helpers = response.text.index('<script src="/console/static/common.js">')
    assert helpers < page, "the page script uses common.js's helpers: it must load first"
    assert response.headers["content-security-policy"].endswith(f"connect-src 'self' {NOTIFY}")


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/console/static/notifications.js", "text/javascript"),
        ("/console/static/notifications.css", "text/css"),
        ("/console/static/common.js", "text/javascript"),
    ],
)
async def test_bell_files_are_served(console: httpx.AsyncClient, path: str, media_type: str):
    response = await console.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
