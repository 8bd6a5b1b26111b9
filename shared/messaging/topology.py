"""The RabbitMQ topology: one source for the app, the definitions file and the docs.

One topic exchange carries every domain event, routed by its ``type``. Each consuming service
owns one durable quorum queue bound to the types it handles; a message that fails
``DELIVERY_LIMIT`` times (or is unreadable) is dead-lettered to ``<service>.dead-letter``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EVENTS_EXCHANGE = "qcflow.events"
DEAD_LETTER_EXCHANGE = "qcflow.dead-letter"
DELIVERY_LIMIT = 5
# What people are told (one message per delivery), for integrators to bind their own queues to.
NOTIFICATIONS_EXCHANGE = "qcflow.notifications"


@dataclass(frozen=True)
class ServiceQueue:
    service: str
    event_types: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.service}.events"

    @property
    def dead_letter_name(self) -> str:
        return f"{self.service}.dead-letter"

    @property
    def arguments(self) -> dict[str, Any]:
        return {
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-dead-letter-routing-key": self.name,
        }

    @property
    def dead_letter_arguments(self) -> dict[str, Any]:
        return {"x-queue-type": "quorum"}


APPLICATION_DECISIONS = (
    "application.accepted",
    "application.returned",
    "application.rejected",
    "application.scored",
    "application.recommended",
    "application.awarded",
    "application.not_awarded",
    "application.disqualified",
)
SUBMISSIONS = ("application.submitted", "application.resubmitted")
PACKAGE_STEPS = ("package.submitted", "package.returned", "package.accepted", "package.reminded")

SERVICE_QUEUES: dict[str, ServiceQueue] = {
    queue.service: queue
    for queue in (
        ServiceQueue(
            "intake",
            (
                "document.rendered",
                "document.failed",
                *APPLICATION_DECISIONS,
                "unit.disqualified",
                # Shown to the applicant ("回执邮件已发送"); without a binding these would be
                # unroutable, and mandatory publishing would keep them in notify's outbox.
                "notification.sent",
                "notification.failed",
            ),
        ),
        ServiceQueue(
            "review",
            (
                *SUBMISSIONS,
                "application.withdrawn",
                "evidence.stored",
                "campaign.forwarded",
                "campaign.deadline_extended",
                "document.rendered",
            ),
        ),
        ServiceQueue(
            "render",
            (
                *SUBMISSIONS,
                "group.registered",
                "campaign.forwarded",
                "application.awarded",
                "table.requested",
            ),
        ),
        ServiceQueue(
            "notify",
            (
                # drafts: their applicants are reminded of the unit's deadline until they submit
                "application.draft_created",
                "application.draft_updated",
                "application.draft_withdrawn",
                *SUBMISSIONS,
                "application.withdrawn",
                "campaign.forwarded",
                # the unit's deadline moved: its reminders follow, its members are told
                "campaign.deadline_extended",
                *APPLICATION_DECISIONS,
                "unit.disqualified",
                "reviewer.assigned",
                "assignment.completed",
                "document.rendered",
                "document.failed",
                *PACKAGE_STEPS,
            ),
        ),
    )
}
# Every event type must be bound somewhere: publishing is mandatory, so an unbound type could
# never leave its outbox.
UNCONSUMED_EVENT_TYPES: frozenset[str] = frozenset()


def rabbitmq_definitions(vhost: str = "/") -> dict[str, Any]:
    """The topology as a RabbitMQ definitions document (deploy/rabbitmq/definitions.json)."""
    exchanges = [
        _exchange(EVENTS_EXCHANGE, "topic", vhost),
        _exchange(DEAD_LETTER_EXCHANGE, "direct", vhost),
        _exchange(NOTIFICATIONS_EXCHANGE, "topic", vhost),
    ]
    queues: list[dict[str, Any]] = []
    bindings: list[dict[str, Any]] = []
    for queue in SERVICE_QUEUES.values():
        queues.append(
            {
                "name": queue.name,
                "vhost": vhost,
                "durable": True,
                "auto_delete": False,
                "arguments": queue.arguments,
            }
        )
        queues.append(
            {
                "name": queue.dead_letter_name,
                "vhost": vhost,
                "durable": True,
                "auto_delete": False,
                "arguments": queue.dead_letter_arguments,
            }
        )
        bindings.extend(
            {
                "source": EVENTS_EXCHANGE,
                "vhost": vhost,
                "destination": queue.name,
                "destination_type": "queue",
                "routing_key": event_type,
                "arguments": {},
            }
            for event_type in queue.event_types
        )
        bindings.append(
            {
                "source": DEAD_LETTER_EXCHANGE,
                "vhost": vhost,
                "destination": queue.dead_letter_name,
                "destination_type": "queue",
                "routing_key": queue.name,
                "arguments": {},
            }
        )
    return {"exchanges": exchanges, "queues": queues, "bindings": bindings}


def _exchange(name: str, kind: str, vhost: str) -> dict[str, Any]:
    return {
        "name": name,
        "vhost": vhost,
        "type": kind,
        "durable": True,
        "auto_delete": False,
        "internal": False,
        "arguments": {},
    }
