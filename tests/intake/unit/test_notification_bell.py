"""The bell's wiring on the applicant pages: notify's URL in the page and in the CSP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.intake.main import create_app
from shared.settings import settings_for

ROOT = Path(__file__).resolve().parents[3]
NOTIFY = "https://notify.qcflow.example.com"


@pytest.fixture
async def pages(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """Intake without its lifespan: pages are rendered without database, broker or storage."""
    app = create_app(settings_for("intake", data_dir=tmp_path, notify_public_url=f"{NOTIFY}/"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield client
    await app.state.runtime.engine.dispose()


@pytest.mark.parametrize("path", ["/pages/notice", "/pages/applications", "/pages/groups/new"])
async def test_bell_page_points_at_notify_and_may_fetch_from_it(
    pages: httpx.AsyncClient, path: str
):
    response = await pages.get(path)

    assert response.status_code == 200
    assert f'data-notify-url="{NOTIFY}"' in response.text
    assert '<script src="/static/notifications.js"></script>' in response.text
    policy = response.headers["content-security-policy"]
    assert f"connect-src 'self' {NOTIFY};" in policy
    assert "script-src 'self';" in policy


async def test_bell_script_and_style_are_served(pages: httpx.AsyncClient):
    script = await pages.get("/static/notifications.js")
    style = await pages.get("/static/notifications.css")

    assert script.status_code == 200
    assert "通知服务暂时不可用，稍后自动重试" in script.text
    assert style.status_code == 200
