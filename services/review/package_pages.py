"""Console pages for the package: the unit's own package and the national dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.review.pages import HERE, PAGE_HEADERS, render

router = APIRouter(prefix="/console", include_in_schema=False)
# The script lives beside the templates (review's static/ belongs to the main console).
SCRIPT = (HERE / "templates" / "package_script.html").read_text(encoding="utf-8")


@router.get("/package")
async def unit_package(request: Request) -> HTMLResponse:
    return render(request, "package.html", "推荐材料包（附件2–5）", "package")


@router.get("/packages")
async def national_dashboard(request: Request) -> HTMLResponse:
    return render(
        request, "package_dashboard.html", "全国推荐材料包看板", "packages", campaign_id=""
    )


@router.get("/package/script.js")
async def script() -> Response:
    return Response(SCRIPT, media_type="text/javascript", headers=PAGE_HEADERS)
