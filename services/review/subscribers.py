"""What review hears from the bus."""

from __future__ import annotations

from services.review import service
from shared.messaging.consumer import Handler

HANDLERS: dict[str, Handler] = {
    "application.submitted": service.register_submission,
}
