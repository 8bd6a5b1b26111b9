"""The AsyncAPI document of the bus, generated from the contracts and the topology.

A documentation-only broker is described: each service's queue with the union of the events
bound to it, and one publication per event type on the events exchange.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI

from shared.events import EVENT_CLASSES, Event
from shared.messaging.broker import EVENTS, service_queue
from shared.messaging.topology import SERVICE_QUEUES, ServiceQueue

DESCRIPTION = (
    "qcflow 的领域事件总线。所有事件发布到 topic 交换机 `qcflow.events`，路由键即事件 `type`；"
    "每个服务有一个 quorum 队列 `<service>.events`"
    "（投递上限 5 次，之后进入 `<service>.dead-letter`）。"
    "事件字段只增不删；消费方忽略未知字段。"
)


def _documented_handler(
    queue: ServiceQueue, event_classes: tuple[type[Event], ...]
) -> Callable[[object], Awaitable[None]]:
    by_type = {cls.model_fields["type"].default: cls for cls in event_classes}
    bound = [by_type[event_type] for event_type in queue.event_types]
    union = bound[0]
    for cls in bound[1:]:
        union = union | cls  # type: ignore[assignment]

    async def handler(body: object) -> None:
        """Documentation only: the real consumer is shared.messaging.consumer."""

    handler.__annotations__["body"] = union  # the payload schema FastStream documents
    handler.__name__ = queue.name.replace(".", "_")
    return handler


def build_asyncapi(version: str) -> AsyncAPI:
    broker = RabbitBroker("amqp://rabbitmq:5672/", description="RabbitMQ")
    for queue in SERVICE_QUEUES.values():
        description = f"{queue.service} 服务消费：" + "、".join(queue.event_types)
        broker.subscriber(service_queue(queue), EVENTS, title=queue.name, description=description)(
            _documented_handler(queue, EVENT_CLASSES)
        )
    for cls in EVENT_CLASSES:
        event_type = cls.model_fields["type"].default
        broker.publisher(
            event_type,
            EVENTS,
            schema=cls,
            title=event_type,
            description=(cls.__doc__ or "").strip() or None,
        )
    return AsyncAPI(broker, title="qcflow 事件总线", version=version, description=DESCRIPTION)


def asyncapi_document(version: str) -> dict[str, Any]:
    """The AsyncAPI document as plain data, with every mapping in a stable order."""
    document: dict[str, Any] = _sorted(build_asyncapi(version).to_specification().to_jsonable())
    return document


def _sorted(value: Any) -> Any:  # noqa: ANN401 - walks arbitrary JSON
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value
