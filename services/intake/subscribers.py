"""What intake hears from the bus."""

from __future__ import annotations

from services.intake import service
from shared.messaging.consumer import Handler

HANDLERS: dict[str, Handler] = {
    "document.rendered": service.record_rendered_documents,
    "document.failed": service.record_render_failure,
}
