from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from services.review.main import create_app
from services.review.models import messaging_tables
from services.review.subscribers import HANDLERS
from shared.events import Event
from shared.messaging.consumer import EventConsumer
from shared.runtime import Runtime
from tests.review.support import People
from tests.support.infra import Infra, create_vhost, delete_vhost


class ReviewService:
    """Review in-process on the real PostgreSQL, RabbitMQ vhost and S3 server."""

    def __init__(self, runtime: Runtime, http: httpx.AsyncClient) -> None:
        self.runtime = runtime
        self.people = People(http, runtime.settings.auth_secret.get_secret_value())
        self.consumer = EventConsumer(runtime.sessionmaker, messaging_tables, HANDLERS)

    async def deliver(self, *events: Event) -> None:
        """Through the real consumer path (parse, inbox, handler, commit), minus the broker hop."""
        for event in events:
            await self.consumer.apply(event.model_dump_json().encode())


@pytest.fixture(scope="module")
def review_vhost() -> Iterator[str]:
    name = f"qcflow-review-{uuid.uuid4().hex[:10]}"
    create_vhost(name)
    yield name
    delete_vhost(name)


@pytest.fixture(scope="module")
async def review(
    infra: Infra, review_vhost: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ReviewService]:
    data_dir: Path = tmp_path_factory.mktemp("review")
    settings = infra.settings(
        "review", smtp_port=1, bucket=f"qcflow-{uuid.uuid4().hex[:12]}", data_dir=data_dir
    ).model_copy(update={"amqp_url": infra.amqp_url(vhost=review_vhost)})
    app = create_app(settings)
    runtime: Runtime = app.state.runtime
    await runtime.start()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://review") as http:
        yield ReviewService(runtime, http)
    await runtime.stop()
