"""The reviewer console: server-rendered shells (Jinja2, autoescaped); data comes from the API."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.review.domain.screening import REASONS
from services.review.domain.states import LABELS
from shared import web
from shared.settings import Settings

HERE = Path(__file__).parent
templates = Environment(
    loader=FileSystemLoader([HERE / "templates", web.TEMPLATES]),
    autoescape=select_autoescape(default=True),
)
router = APIRouter(prefix="/console", include_in_schema=False)
PAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Scripts only from our own file; the one inline stylesheet is ours too.
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
}


def page_headers(notify_origin: str) -> dict[str, str]:
    """The console's headers, plus fetches to notify for the notification bell."""
    policy = f"{PAGE_HEADERS['Content-Security-Policy']}; connect-src 'self' {notify_origin}"
    return {**PAGE_HEADERS, "Content-Security-Policy": policy}


def render(
    request: Request,
    name: str,
    title: str,
    page: str,
    subject_id: str = "",
    **extra: Any,  # noqa: ANN401 - template variables
) -> HTMLResponse:
    settings: Settings = request.app.state.runtime.settings
    html = templates.get_template(name).render(
        title=title,
        page=page,
        subject_id=subject_id,
        notify_url=settings.notify_public_url,
        **extra,
    )
    return HTMLResponse(html, headers=page_headers(settings.notify_origin))


@router.get("")
async def queue(request: Request) -> HTMLResponse:
    return render(request, "queue.html", "申报队列", "queue", status_labels=LABELS)


@router.get("/entries/{application_id}")
async def entry(request: Request, application_id: uuid.UUID) -> HTMLResponse:
    return render(request, "entry.html", "申报详情", "entry", str(application_id), reasons=REASONS)


@router.get("/assignments/{assignment_id}")
async def assignment(request: Request, assignment_id: uuid.UUID) -> HTMLResponse:
    return render(request, "assignment.html", "评分表", "assignment", str(assignment_id))


@router.get("/reviewers")
async def reviewers(request: Request) -> HTMLResponse:
    return render(request, "reviewers.html", "评审专家库", "reviewers")


@router.get("/quotas")
async def quotas(request: Request) -> HTMLResponse:
    return render(request, "quotas.html", "推荐名额", "quotas")


@router.get("/recommendations")
async def recommendations(request: Request) -> HTMLResponse:
    return render(request, "recommendations.html", "向全国推荐", "recommendations")


@router.get("/awards")
async def awards(request: Request) -> HTMLResponse:
    return render(request, "awards.html", "全国评审决定", "awards")


@router.get("/static/common.js")
async def common_script() -> FileResponse:
    return FileResponse(HERE / "static" / "common.js", media_type="text/javascript")


@router.get("/static/console.js")
async def script() -> FileResponse:
    return FileResponse(HERE / "static" / "console.js", media_type="text/javascript")


router.include_router(web.bell_assets(), prefix="/static")
