"""Composition root of render."""

from __future__ import annotations

from fastapi import FastAPI

from services.render.domain.errors import RenderError
from services.render.models import messaging_tables
from services.render.routes import router
from services.render.subscribers import handlers
from services.render.workers import create_render_worker
from shared.http import health_router, install_error_handlers, runtime_lifespan
from shared.runtime import Runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = Runtime.build(settings, messaging_tables)
    worker = create_render_worker(
        in_child_process=settings.render_in_child_process, public_url=settings.public_url
    )
    runtime.background_jobs.append(worker.warm_up)  # a one-shot job: done once it returns
    runtime.shutdown_hooks.append(worker.close)
    runtime.consume(handlers(worker, runtime.store, runtime.transaction))
    app = FastAPI(
        title="qcflow 文书生成服务 (render)", version="0.1.0", lifespan=runtime_lifespan(runtime)
    )
    app.state.runtime = runtime
    app.include_router(health_router())
    app.include_router(router)
    install_error_handlers(app, RenderError, {"definition": "模板"})
    return app
