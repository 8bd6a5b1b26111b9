"""What intake hears from the bus."""

from __future__ import annotations

from services.intake import service
from services.intake.domain.application import DECISION_STATUSES
from shared.messaging.consumer import Handler

HANDLERS: dict[str, Handler] = {
    "document.rendered": service.record_rendered_documents,
    "document.failed": service.record_render_failure,
    **{
        decision: service.record_decision
        for decision in DECISION_STATUSES
        if decision != "unit.disqualified"
    },
    "unit.disqualified": service.record_unit_disqualified,
    "notification.sent": service.record_delivery,
    "notification.failed": service.record_delivery,
}
