"""The ways notify reaches people and systems: e-mail, webhooks, the notifications exchange."""

from __future__ import annotations

from dataclasses import dataclass

from services.notify.channels.amqp import NotificationPublisher
from services.notify.channels.email import SmtpMailer
from services.notify.channels.webhook import WebhookSender


@dataclass(frozen=True)
class Channels:
    mailer: SmtpMailer
    webhooks: WebhookSender
    amqp: NotificationPublisher
