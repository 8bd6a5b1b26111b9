"""Inspecting and replaying dead-lettered messages (for operators; see `qcflow dlq`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from shared.messaging.topology import SERVICE_QUEUES, ServiceQueue


@dataclass(frozen=True)
class DeadLetter:
    message_id: str | None
    event_type: str | None
    reason: str
    deliveries: int
    body: bytes

    @property
    def preview(self) -> str:
        return self.body[:200].decode("utf-8", errors="replace")


def _describe(message: AbstractIncomingMessage) -> DeadLetter:
    headers: dict[str, Any] = dict(message.headers or {})
    deaths = headers.get("x-death") or [{}]
    first = deaths[0] if isinstance(deaths, list) and deaths else {}
    reason = str(first.get("reason", headers.get("x-first-death-reason", "")))
    return DeadLetter(
        message_id=message.message_id,
        event_type=message.type or _type_of(message.body),
        reason=reason,
        deliveries=int(headers.get("x-delivery-count", 0) or 0),
        body=message.body,
    )


def _type_of(body: bytes) -> str | None:
    try:
        decoded = json.loads(body)
    except ValueError:
        return None
    kind = decoded.get("type") if isinstance(decoded, dict) else None
    return kind if isinstance(kind, str) else None


async def list_dead_letters(amqp_url: str, service: str, *, limit: int = 1000) -> list[DeadLetter]:
    """Peek: messages are fetched unacknowledged and return to the queue when the channel closes."""
    queue = SERVICE_QUEUES[service]
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        dlq = await channel.get_queue(queue.dead_letter_name, ensure=True)
        found: list[DeadLetter] = []
        while len(found) < limit and (message := await dlq.get(no_ack=False, fail=False)):
            found.append(_describe(message))
        return found


async def replay_dead_letters(
    amqp_url: str, service: str, *, message_ids: set[str] | None = None
) -> int:
    """Send dead letters back to their service's own queue (other services are not bothered).

    Each is acknowledged on the dead-letter queue only after the broker confirmed the copy, so a
    crash in between leaves a duplicate (which the consumer's inbox ignores), never a loss.
    """
    queue = SERVICE_QUEUES[service]
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        dlq = await channel.get_queue(queue.dead_letter_name, ensure=True)
        replayed = 0
        skipped: list[AbstractIncomingMessage] = []
        while message := await dlq.get(no_ack=False, fail=False):
            if message_ids is not None and message.message_id not in message_ids:
                skipped.append(message)
                continue
            await _send_back(channel, queue, message)
            await message.ack()
            replayed += 1
        for message in skipped:
            await message.nack(requeue=True)
        return replayed


async def _send_back(
    channel: aio_pika.abc.AbstractChannel, queue: ServiceQueue, message: AbstractIncomingMessage
) -> None:
    copy = aio_pika.Message(
        message.body,
        headers={"x-replayed-from": queue.dead_letter_name},
        content_type=message.content_type,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        type=message.type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )
    await channel.default_exchange.publish(copy, routing_key=queue.name, mandatory=True)
