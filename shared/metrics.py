"""Prometheus metrics of one service process: bus, HTTP, outbox backlog, queue and DLQ depth."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Gauge, Histogram


@dataclass
class ServiceMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.outbox_pending = Gauge(
            "qcflow_outbox_pending", "Outbox rows not yet published", registry=self.registry
        )
        self.queue_messages = Gauge(
            "qcflow_queue_messages", "Messages ready in the service queue", registry=self.registry
        )
        self.queue_consumers = Gauge(
            "qcflow_queue_consumers", "Consumers on the service queue", registry=self.registry
        )
        self.dead_letters = Gauge(
            "qcflow_dead_letters",
            "Messages in the service's dead-letter queue",
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "qcflow_handler_seconds", "Event handling time", ["event_type"], registry=self.registry
        )
