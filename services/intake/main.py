"""Composition root of intake."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.domain.errors import IntakeError
from services.intake.models import messaging_tables
from services.intake.routes import router
from services.intake.schemas import FIELD_LABELS
from services.intake.subscribers import HANDLERS
from shared.http import health_router, install_error_handlers, runtime_lifespan
from shared.runtime import Runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = Runtime.build(settings, messaging_tables)
    runtime.consume(HANDLERS)
    app = FastAPI(
        title="qcflow 申报服务 (intake)", version="0.1.0", lifespan=runtime_lifespan(runtime)
    )
    app.state.runtime = runtime
    install_error_handlers(app, IntakeError, FIELD_LABELS)
    app.include_router(health_router())
    app.include_router(router)
    return app
