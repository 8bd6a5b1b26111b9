"""Composition root of notify."""

from __future__ import annotations

from fastapi import FastAPI

from services.notify.channels.email import SmtpMailer
from services.notify.dispatcher import DeliveryDispatcher
from services.notify.models import messaging_tables
from services.notify.subscribers import handlers
from shared.http import health_router, runtime_lifespan
from shared.runtime import Runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = Runtime.build(settings, messaging_tables)
    runtime.consume(handlers(settings.public_url))
    runtime.background_jobs.append(DeliveryDispatcher(runtime, SmtpMailer(settings)).run)
    app = FastAPI(
        title="qcflow 通知服务 (notify)", version="0.1.0", lifespan=runtime_lifespan(runtime)
    )
    app.state.runtime = runtime
    app.include_router(health_router())
    return app
