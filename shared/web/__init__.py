"""The notification bell the applicant pages (intake) and the reviewer console (review) share.

Its script, style and markup (a Jinja macro); each service serves them under its own prefix.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
_ASSETS = {
    "notifications.js": "text/javascript",
    "notifications.css": "text/css",
}


def bell_assets() -> APIRouter:
    """GET notifications.js / notifications.css, to include under a service's static prefix."""
    router = APIRouter(include_in_schema=False)
    for name, media_type in _ASSETS.items():
        router.add_api_route(f"/{name}", _asset(name, media_type), methods=["GET"])
    return router


def _asset(name: str, media_type: str) -> Callable[[], Awaitable[FileResponse]]:
    async def serve() -> FileResponse:
        return FileResponse(HERE / "static" / name, media_type=media_type)

    return serve
