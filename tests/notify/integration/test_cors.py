"""CORS on notify: the intake and review pages may call the in-app API, other origins may not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.notify.main import create_app
from shared.auth import Principal, Role, issue_token
from shared.settings import Settings
from tests.support.infra import Infra
from tests.support.smtp import SmtpServer

INTAKE_PAGES = "https://qcflow.example.com"
REVIEW_PAGES = "https://review.qcflow.example.com"
STRANGER = "https://evil.example.net"


@pytest.fixture
async def notify_app(
    infra: Infra, bucket: str, tmp_path: Path, smtp: SmtpServer
) -> AsyncIterator[FastAPI]:
    """The app without its lifespan: the in-app routes only need the database."""
    settings = infra.settings("notify", smtp_port=smtp.port, bucket=bucket, data_dir=tmp_path)
    app = create_app(settings.model_copy(update={"cors_origins": [INTAKE_PAGES, REVIEW_PAGES]}))
    yield app
    await app.state.runtime.engine.dispose()


def browser(app: FastAPI, origin: str, *, logged_in: bool = True) -> httpx.AsyncClient:
    """What a page on `origin` sends: its Origin header and, when logged in, its bearer token."""
    headers = {"Origin": origin}
    if logged_in:
        settings = app.state.runtime.settings
        principal = Principal(user_id="user-cors", role=Role.APPLICANT, org_id="org", name="测试")
        token = issue_token(principal, secret=settings.auth_secret.get_secret_value(), ttl_s=600)
        headers["Authorization"] = f"Bearer {token}"
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://notify", headers=headers
    )


def preflight(method: str) -> dict[str, str]:
    return {
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization",
    }


@pytest.mark.parametrize("origin", [INTAKE_PAGES, REVIEW_PAGES])
async def test_cors_configured_origin_may_list_and_mark_read(notify_app: FastAPI, origin: str):
    async with browser(notify_app, origin) as page:
        for method in ("GET", "POST"):
            allowed = await page.options("/api/notifications", headers=preflight(method))
            assert allowed.status_code == 200
            assert allowed.headers["access-control-allow-origin"] == origin
            assert method in allowed.headers["access-control-allow-methods"]
            assert "authorization" in allowed.headers["access-control-allow-headers"].lower()

        listed = await page.get("/api/notifications", params={"unread": "true"})

    assert listed.status_code == 200
    assert listed.json() == []
    assert listed.headers["access-control-allow-origin"] == origin
    assert "access-control-allow-credentials" not in listed.headers


async def test_cors_refusals_are_readable_by_the_page(notify_app: FastAPI):
    """The bell tells 「登录已失效」 apart from 「通知服务暂时不可用」: it must see the 401."""
    async with browser(notify_app, INTAKE_PAGES, logged_in=False) as page:
        refused = await page.get("/api/notifications")

    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == INTAKE_PAGES
    assert refused.json()["detail"] == "请先登录。"


async def test_cors_other_origin_is_refused(notify_app: FastAPI):
    async with browser(notify_app, STRANGER) as page:
        preflighted = await page.options("/api/notifications", headers=preflight("GET"))
        answered = await page.get("/api/notifications")

    assert preflighted.status_code == 400
    assert "access-control-allow-origin" not in preflighted.headers
    # The server answers, but without the header the browser withholds the answer from the page.
    assert "access-control-allow-origin" not in answered.headers


def test_cors_origins_setting_reads_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QCFLOW_CORS_ORIGINS", f" {INTAKE_PAGES}/ ,{REVIEW_PAGES},")
    monkeypatch.setenv("QCFLOW_NOTIFY_PUBLIC_URL", "https://notify.qcflow.example.com/")

    settings = Settings()

    assert settings.cors_origins == [INTAKE_PAGES, REVIEW_PAGES]
    assert settings.notify_public_url == "https://notify.qcflow.example.com"
    assert settings.notify_origin == "https://notify.qcflow.example.com"


def test_cors_default_origins_are_the_local_intake_and_review_pages(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.delenv("QCFLOW_CORS_ORIGINS", raising=False)

    assert Settings().cors_origins == [
        "http://127.0.0.1:8001",
        "http://localhost:8001",
        "http://127.0.0.1:8002",
        "http://localhost:8002",
    ]
