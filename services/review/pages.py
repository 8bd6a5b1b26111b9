"""The reviewer console: server-rendered shells (Jinja2, autoescaped); data comes from the API."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.review.domain.screening import REASONS
from services.review.domain.states import LABELS

HERE = Path(__file__).parent
templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True)
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


def render(name: str, title: str, page: str, subject_id: str = "", **extra: Any) -> HTMLResponse:  # noqa: ANN401 - template variables
    html = templates.get_template(name).render(
        title=title, page=page, subject_id=subject_id, **extra
    )
    return HTMLResponse(html, headers=PAGE_HEADERS)


@router.get("")
async def queue() -> HTMLResponse:
    return render("queue.html", "申报队列", "queue", status_labels=LABELS)


@router.get("/entries/{application_id}")
async def entry(application_id: uuid.UUID) -> HTMLResponse:
    return render("entry.html", "申报详情", "entry", str(application_id), reasons=REASONS)


@router.get("/assignments/{assignment_id}")
async def assignment(assignment_id: uuid.UUID) -> HTMLResponse:
    return render("assignment.html", "评分表", "assignment", str(assignment_id))


@router.get("/reviewers")
async def reviewers() -> HTMLResponse:
    return render("reviewers.html", "评审专家库", "reviewers")


@router.get("/quotas")
async def quotas() -> HTMLResponse:
    return render("quotas.html", "推荐名额", "quotas")


@router.get("/recommendations")
async def recommendations() -> HTMLResponse:
    return render("recommendations.html", "向全国推荐", "recommendations")


@router.get("/awards")
async def awards() -> HTMLResponse:
    return render("awards.html", "全国评审决定", "awards")


@router.get("/static/console.js")
async def script() -> FileResponse:
    return FileResponse(HERE / "static" / "console.js", media_type="text/javascript")
