"""Events published by notify."""

from __future__ import annotations

from typing import Literal

from shared.events.base import Event


class NotificationSent(Event):
    type: Literal["notification.sent"] = "notification.sent"
    delivery_id: str
    channel: Literal["email"]
    recipient: str
    template: str
    subject_id: str
