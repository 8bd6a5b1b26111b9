"""Composition root of review."""

from __future__ import annotations

from fastapi import FastAPI

from services.review.domain.errors import ReviewError
from services.review.models import messaging_tables
from services.review.package_pages import router as package_pages_router
from services.review.package_routes import router as package_router
from services.review.pages import router as pages_router
from services.review.routes import router
from services.review.schemas import FIELD_LABELS
from services.review.subscribers import HANDLERS
from shared.http import health_router, install_error_handlers, runtime_lifespan
from shared.runtime import Runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = Runtime.build(settings, messaging_tables)
    runtime.consume(HANDLERS)
    app = FastAPI(
        title="qcflow 评审服务 (review)", version="0.1.0", lifespan=runtime_lifespan(runtime)
    )
    app.state.runtime = runtime
    install_error_handlers(app, ReviewError, FIELD_LABELS)
    app.include_router(health_router())
    app.include_router(router)
    app.include_router(pages_router)
    app.include_router(package_router)
    app.include_router(package_pages_router)
    return app
