"""Operators list and replay dead letters; a replay reaches only the service that failed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from shared.messaging.broker import queue_depths
from shared.messaging.dead_letters import list_dead_letters, replay_dead_letters
from shared.messaging.topology import SERVICE_QUEUES
from shared.runtime import Runtime
from tests.shared.integration.test_delivery_guarantees import (
    eventually,
    publish_raw,
    review_runtime,
    submitted_event,
)
from tests.support.infra import ROOT

__all__ = ["review_runtime"]  # the fixture, shared with the delivery tests


async def test_dead_letter_is_listed_then_replayed_once_the_handler_is_fixed(
    review_runtime: Runtime,
):
    handled: list[str] = []
    is_broken = True

    async def flaky(_session, event):
        if is_broken:
            raise RuntimeError("bug in the handler")
        handled.append(str(event.event_id))

    review_runtime.consume({"application.submitted": flaky})
    await review_runtime.start()
    amqp_url = review_runtime.settings.amqp_url
    event = submitted_event()
    await publish_raw(amqp_url, event.model_dump_json().encode())

    async def dead_lettered() -> int:
        return (await queue_depths(review_runtime.broker, SERVICE_QUEUES["review"]))["dead_letters"]

    assert await eventually(dead_lettered, timeout_s=60) == 1
    letters = await list_dead_letters(amqp_url, "review")
    assert [letter.event_type for letter in letters] == ["application.submitted"]
    assert letters[0].reason in {"delivery_limit", "rejected"}
    assert await dead_lettered() == 1, "listing must not consume the dead letter"

    listed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.cli", "dlq", "list", "review"],
        env={**os.environ, "QCFLOW_AMQP_URL": amqp_url},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "共 1 条死信" in listed.stdout

    is_broken = False
    assert await replay_dead_letters(amqp_url, "review") == 1
    assert await eventually(lambda: _value(handled)) == [str(event.event_id)]
    assert await dead_lettered() == 0


async def test_replay_by_id_leaves_the_other_dead_letters(review_runtime: Runtime):
    review_runtime.consume({})
    await review_runtime.start()
    amqp_url = review_runtime.settings.amqp_url
    for body in (b"not json 1", b"not json 2"):
        await publish_raw(amqp_url, body)

    async def dead_letters() -> list[str | None]:
        return [letter.preview for letter in await list_dead_letters(amqp_url, "review")]

    assert sorted(await eventually(lambda: _enough(dead_letters, 2))) == [
        "not json 1",
        "not json 2",
    ]
    assert await replay_dead_letters(amqp_url, "review", message_ids={"no-such-id"}) == 0
    assert len(await dead_letters()) == 2


async def _value(value: Any) -> Any:
    return value


async def _enough(fetch: Callable[[], Awaitable[list[Any]]], count: int) -> list[Any] | None:
    found = await fetch()
    return found if len(found) >= count else None
