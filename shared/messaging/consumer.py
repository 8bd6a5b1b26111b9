"""Consuming a service's queue: parse, dedupe through the inbox, apply, then ack.

Failure policy (holds on RabbitMQ 3.x and 4.x): an unreadable message is rejected without
requeue and so dead-lettered at once; a failing handler's message is rejected *with* requeue,
which both versions count toward the quorum queue's ``x-delivery-limit`` (a ``nack`` no longer
does on 4.x), so after the limit the broker dead-letters it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any

from faststream import AckPolicy
from faststream.rabbit import RabbitBroker
from faststream.rabbit.annotations import RabbitMessage
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.correlation import correlation_id_var
from shared.db import SessionMaker, insert_ignore, transaction
from shared.events import Event, any_event_adapter
from shared.messaging.broker import service_queue
from shared.messaging.outbox import wrote_to_outbox
from shared.messaging.tables import MessagingTables
from shared.messaging.topology import ServiceQueue

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Any], Awaitable[None]]


class UnreadableMessageError(Exception):
    pass


async def claim_in_inbox(session: AsyncSession, tables: MessagingTables, event: Event) -> bool:
    """Record the event as handled in this transaction; False if it already was.

    A concurrent duplicate (another replica) waits for the first claim's transaction.
    """
    values = {"event_id": str(event.event_id), "event_type": event.type}
    return await insert_ignore(session, tables.inbox, {**values, "handled_at": datetime.now(UTC)})


def parse_event(body: bytes) -> Event:
    try:
        return any_event_adapter.validate_json(body)
    except ValidationError as exc:
        raise UnreadableMessageError(str(exc)) from exc


def event_type_of(body: bytes) -> str | None:
    try:
        decoded = json.loads(body)
    except ValueError:
        return None
    kind = decoded.get("type") if isinstance(decoded, dict) else None
    return kind if isinstance(kind, str) else None


def delivery_count(message: RabbitMessage) -> int:
    count = message.headers.get("x-delivery-count", 0)
    return count if isinstance(count, int) else 0


class EventConsumer:
    """Applies events to one service's state exactly once per event id."""

    def __init__(
        self,
        sessionmaker: SessionMaker,
        tables: MessagingTables,
        handlers: Mapping[str, Handler],
        *,
        wake_relay: Callable[[], None] = lambda: None,
        retry_delay: Callable[[int], float] = lambda attempt: min(0.5 * 4**attempt, 60.0),
        timer: Callable[[str], AbstractContextManager[object]] = lambda _: nullcontext(),
    ) -> None:
        self._sessionmaker = sessionmaker
        self._tables = tables
        self._handlers = handlers
        self._wake_relay = wake_relay
        self._retry_delay = retry_delay
        self._timer = timer

    async def apply(self, body: bytes) -> bool:
        """Handle one message body; True if it had an effect, False if ignored or a duplicate."""
        kind = event_type_of(body)
        if kind is None:
            raise UnreadableMessageError("message has no event type")
        handler = self._handlers.get(kind)
        if handler is None:
            return False
        event = parse_event(body)
        token = correlation_id_var.set(event.correlation_id)
        try:
            with self._timer(kind):
                async with transaction(self._sessionmaker) as session:
                    if not await claim_in_inbox(session, self._tables, event):
                        return False
                    await handler(session, event)
            log.info("handled %s %s", kind, event.event_id)
        finally:
            correlation_id_var.reset(token)
        if wrote_to_outbox(session):
            self._wake_relay()
        return True

    async def on_message(self, message: RabbitMessage) -> None:
        try:
            await self.apply(message.body)
        except UnreadableMessageError:
            log.exception("dead-lettering unreadable message %s", message.message_id)
            await message.reject(requeue=False)
            return
        except Exception:
            attempt = delivery_count(message)
            log.exception("handler failed (delivery %s) for %s", attempt + 1, message.message_id)
            await asyncio.sleep(self._retry_delay(attempt))
            await message.reject(requeue=True)
            return
        await message.ack()


def subscribe(broker: RabbitBroker, queue: ServiceQueue, consumer: EventConsumer) -> None:
    # No parameters: FastStream would inject a `RabbitMessage` parameter through a synchronous
    # dependency run on a worker thread, one thread hop per message on a sequential consumer.
    async def on_event() -> None:
        message: RabbitMessage = broker.context.get_local("message")
        await consumer.on_message(message)

    on_event.__name__ = f"{queue.service}_on_event"
    broker.subscriber(
        service_queue(queue), ack_policy=AckPolicy.MANUAL, no_reply=True, title=queue.name
    )(on_event)
