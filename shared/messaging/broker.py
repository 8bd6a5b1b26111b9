"""The RabbitMQ connection: topology declaration, confirmed publishing, consumer readiness."""

from __future__ import annotations

import asyncio
import logging
from typing import cast

from faststream.rabbit import Channel, ExchangeType, RabbitBroker, RabbitExchange, RabbitQueue
from faststream.rabbit.prometheus import RabbitPrometheusMiddleware
from faststream.rabbit.schemas.queue import QueueType, QuorumQueueArgs
from prometheus_client import CollectorRegistry

from shared.messaging.topology import (
    DEAD_LETTER_EXCHANGE,
    EVENTS_EXCHANGE,
    NOTIFICATIONS_EXCHANGE,
    SERVICE_QUEUES,
    ServiceQueue,
)

log = logging.getLogger(__name__)

EVENTS = RabbitExchange(EVENTS_EXCHANGE, type=ExchangeType.TOPIC, durable=True)
DEAD_LETTERS = RabbitExchange(DEAD_LETTER_EXCHANGE, type=ExchangeType.DIRECT, durable=True)
NOTIFICATIONS = RabbitExchange(NOTIFICATIONS_EXCHANGE, type=ExchangeType.TOPIC, durable=True)


def create_broker(
    amqp_url: str,
    *,
    prefetch: int,
    registry: CollectorRegistry,
    app_name: str,
    shutdown_grace_s: float = 30.0,
) -> RabbitBroker:
    # Unroutable messages must raise instead of vanishing; confirms are on by default.
    channel = Channel(prefetch_count=prefetch, on_return_raises=True, publisher_confirms=True)
    return RabbitBroker(
        amqp_url,
        default_channel=channel,
        graceful_timeout=shutdown_grace_s,
        reconnect_interval=2.0,
        log_level=logging.DEBUG,
        middlewares=[RabbitPrometheusMiddleware(registry=registry, app_name=app_name)],
    )


def service_queue(queue: ServiceQueue) -> RabbitQueue:
    arguments = cast("QuorumQueueArgs", queue.arguments)
    return RabbitQueue(queue.name, queue_type=QueueType.QUORUM, durable=True, arguments=arguments)


def dead_letter_queue(queue: ServiceQueue) -> RabbitQueue:
    return RabbitQueue(queue.dead_letter_name, queue_type=QueueType.QUORUM, durable=True)


async def declare_topology(broker: RabbitBroker) -> None:
    """Declare every exchange, queue and binding (idempotent; same as deploy's definitions)."""
    events = await broker.declare_exchange(EVENTS)
    dead_letters = await broker.declare_exchange(DEAD_LETTERS)
    await broker.declare_exchange(NOTIFICATIONS)
    for queue in SERVICE_QUEUES.values():
        declared = await broker.declare_queue(service_queue(queue))
        for event_type in queue.event_types:
            await declared.bind(events, routing_key=event_type)
        dlq = await broker.declare_queue(dead_letter_queue(queue))
        await dlq.bind(dead_letters, routing_key=queue.name)


class BrokerPublisher:
    """Publishes one event: persistent, mandatory, confirmed, bounded in time."""

    def __init__(self, broker: RabbitBroker, *, timeout_s: float) -> None:
        self._broker = broker
        self._timeout_s = timeout_s

    async def publish(
        self, *, event_id: str, event_type: str, correlation_id: str, payload: bytes
    ) -> None:
        async with asyncio.timeout(self._timeout_s):
            await self._broker.publish(
                payload,
                exchange=EVENTS,
                routing_key=event_type,
                persist=True,
                mandatory=True,
                timeout=self._timeout_s,
                message_id=event_id,
                correlation_id=correlation_id,
                content_type="application/json",
                message_type=event_type,
            )


async def queue_depths(broker: RabbitBroker, queue: ServiceQueue) -> dict[str, int]:
    """Messages and consumers of a service's queue and its dead-letter queue (passive)."""
    channel = await broker._connection.channel()  # type: ignore[union-attr]  # noqa: SLF001 - passive declares need a raw channel; FastStream has no API for it
    try:
        main = await channel.declare_queue(queue.name, passive=True)
        dead = await channel.declare_queue(queue.dead_letter_name, passive=True)
        main_result = main.declaration_result
        return {
            "messages": main_result.message_count or 0,
            "consumers": main_result.consumer_count or 0,
            "dead_letters": dead.declaration_result.message_count or 0,
        }
    finally:
        await channel.close()
