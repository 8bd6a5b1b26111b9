"""Applicant web pages: server-rendered shells; the data comes from the JSON API in app.js."""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from shared import web
from shared.settings import Settings

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=[HERE / "templates", web.TEMPLATES])
router = APIRouter(include_in_schema=False)


def page_headers(notify_origin: str) -> dict[str, str]:
    """Scripts and styles only from intake; fetches to intake and to notify (the bell)."""
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            f"connect-src 'self' {notify_origin}; "
            "object-src 'none'; frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


def static_files() -> StaticFiles:
    return StaticFiles(directory=HERE / "static")


def _page(request: Request, template: str, **context: object) -> HTMLResponse:
    settings: Settings = request.app.state.runtime.settings
    context = {**context, "notify_url": settings.notify_public_url}
    return templates.TemplateResponse(
        request, template, context, headers=page_headers(settings.notify_origin)
    )


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/pages/login")


@router.get("/pages/login")
async def login_page(request: Request) -> HTMLResponse:
    return _page(request, "login.html")


@router.get("/pages/notice")
async def notice_page(request: Request) -> HTMLResponse:
    return _page(request, "notice.html")


@router.get("/pages/groups/new")
async def group_page(request: Request) -> HTMLResponse:
    return _page(request, "group.html")


@router.get("/pages/applications")
async def applications_page(request: Request) -> HTMLResponse:
    return _page(request, "applications.html")


@router.get("/pages/applications/new")
async def new_application_page(request: Request) -> HTMLResponse:
    return _page(request, "application.html", application_id=None)


@router.get("/pages/applications/{application_id}")
async def application_page(request: Request, application_id: uuid.UUID) -> HTMLResponse:
    return _page(request, "application.html", application_id=str(application_id))
