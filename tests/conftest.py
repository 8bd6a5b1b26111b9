from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.infra import Infra, create_vhost, delete_vhost
from tests.support.smtp import SmtpServer

LAYERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        for layer in LAYERS:
            if layer in parts:
                item.add_marker(getattr(pytest.mark, layer))


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    started = Infra().start()
    yield started
    started.stop()


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def bucket() -> str:
    return f"qcflow-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def vhost() -> Iterator[str]:
    """A RabbitMQ virtual host of this test's own: its queues start empty."""
    name = f"qcflow-test-{uuid.uuid4().hex[:10]}"
    create_vhost(name)
    yield name
    delete_vhost(name)
