"""Events published by notify."""

from __future__ import annotations

from typing import Literal

from shared.events.base import Event

Channel = Literal["email", "webhook", "amqp", "in_app"]


class NotificationSent(Event):
    type: Literal["notification.sent"] = "notification.sent"
    delivery_id: str
    channel: Channel
    recipient: str
    template: str
    subject_id: str


class NotificationFailed(Event):
    type: Literal["notification.failed"] = "notification.failed"
    delivery_id: str
    channel: Channel
    recipient: str
    template: str
    subject_id: str
    reason: str
    attempts: int
