"""Composition root of notify."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from services.notify.channels import Channels
from services.notify.channels.amqp import NotificationPublisher
from services.notify.channels.email import SmtpMailer
from services.notify.channels.webhook import WebhookSender
from services.notify.dispatcher import DeliveryDispatcher, ReminderScheduler
from services.notify.domain.errors import NotifyError
from services.notify.metrics import DeliveryMetrics
from services.notify.models import messaging_tables
from services.notify.routes import FIELD_LABELS, router
from services.notify.subscribers import handlers
from shared.http import health_router, install_error_handlers, runtime_lifespan
from shared.runtime import Runtime
from shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    runtime = Runtime.build(settings, messaging_tables)
    runtime.consume(handlers(settings.public_url))
    channels = Channels(
        mailer=SmtpMailer(settings),
        webhooks=WebhookSender(),
        amqp=NotificationPublisher(runtime.broker, timeout_s=settings.publish_timeout_s),
    )
    runtime.background_jobs.append(DeliveryDispatcher(runtime, channels).run)
    runtime.background_jobs.append(ReminderScheduler(runtime).run)
    runtime.background_jobs.append(DeliveryMetrics(runtime).run)
    app = FastAPI(
        title="qcflow 通知服务 (notify)", version="0.2.0", lifespan=runtime_lifespan(runtime)
    )
    app.state.runtime = runtime
    app.include_router(health_router())
    app.include_router(router())
    install_error_handlers(app, NotifyError, FIELD_LABELS)
    allow_pages_to_call(app, settings.cors_origins)
    return app


def allow_pages_to_call(app: FastAPI, origins: list[str]) -> None:
    """The intake and review pages read and mark the in-app list from their own origins.

    Bearer tokens, no cookies: credentials stay off, and only the configured origins get an
    Access-Control-Allow-Origin (a preflight from any other origin is answered 400).
    """
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
