"""Reading what intake's outbox relay delivered, from a queue no service consumes here."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aio_pika

from shared.messaging.topology import SERVICE_QUEUES

NOTIFY_QUEUE = SERVICE_QUEUES["notify"].name


async def on_notify_queue(
    amqp_url: str, event_type: str, *, timeout_s: float = 20, **fields: str
) -> dict[str, Any]:
    """Take messages from notify's queue until one of this type with these fields arrives."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(NOTIFY_QUEUE, passive=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                await asyncio.sleep(0.1)
                continue
            body: dict[str, Any] = json.loads(message.body)
            if body["type"] == event_type and all(body.get(k) == v for k, v in fields.items()):
                return body
    return {}
