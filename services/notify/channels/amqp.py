"""One persistent JSON message per notification on the `qcflow.notifications` exchange."""

from __future__ import annotations

import asyncio

from faststream.rabbit import RabbitBroker

from shared.messaging.broker import NOTIFICATIONS


class NotificationPublisher:
    def __init__(self, broker: RabbitBroker, *, timeout_s: float = 10.0) -> None:
        self._broker = broker
        self._timeout_s = timeout_s

    async def publish(self, *, routing_key: str, body: bytes, message_id: str) -> None:
        # Not mandatory: integrators bind their own queues; with none bound nobody is waiting.
        async with asyncio.timeout(self._timeout_s):
            await self._broker.publish(
                body,
                exchange=NOTIFICATIONS,
                routing_key=routing_key,
                persist=True,
                mandatory=False,
                timeout=self._timeout_s,
                message_id=message_id,
                content_type="application/json",
                message_type="qcflow.notification",
            )
