"""Composition root of intake."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.body_limit import BodySizeLimit
from services.intake.directory_routes import router as directory_router
from services.intake.domain.errors import IntakeError
from services.intake.domain.login_throttle import LoginThrottle
from services.intake.domain.upload_throttle import UploadThrottle
from services.intake.models import messaging_tables
from services.intake.pages import router as pages_router
from services.intake.pages import static_files
from services.intake.rescans import rescan_job
from services.intake.routes import router
from services.intake.schemas import FIELD_LABELS
from services.intake.season_routes import router as season_router
from services.intake.settings import IntakeSettings
from services.intake.subscribers import HANDLERS
from services.intake.upload_routes import router as upload_router
from shared import web
from shared.http import health_router, install_error_handlers, runtime_lifespan
from shared.runtime import Runtime
from shared.settings import Settings


def create_app(settings: Settings, intake_settings: IntakeSettings | None = None) -> FastAPI:
    runtime = Runtime.build(settings, messaging_tables)
    runtime.consume(HANDLERS)
    app = FastAPI(
        title="qcflow 申报服务 (intake)", version="0.1.0", lifespan=runtime_lifespan(runtime)
    )
    app.state.runtime = runtime
    app.state.login_throttle = LoginThrottle()
    app.state.intake_settings = own_settings = intake_settings or IntakeSettings()
    app.state.upload_throttle = UploadThrottle(own_settings.upload_rate_per_minute)
    if own_settings.is_scanning:
        runtime.background_jobs.append(rescan_job(runtime, own_settings))
    install_error_handlers(app, IntakeError, FIELD_LABELS)
    app.include_router(health_router())
    app.include_router(router)
    app.include_router(season_router)
    app.include_router(directory_router)
    app.include_router(upload_router)
    app.include_router(pages_router)
    app.include_router(web.bell_assets(), prefix="/static")  # before the mount, which would win
    app.mount("/static", static_files(), name="static")
    app.add_middleware(
        BodySizeLimit,
        max_upload_bytes=settings.max_file_bytes,
        max_chunk_bytes=own_settings.upload_chunk_bytes,
    )
    return app
