"""What review hears from the bus."""

from __future__ import annotations

from services.review import package_service, service
from shared.messaging.consumer import Handler

HANDLERS: dict[str, Handler] = {
    "application.submitted": service.register_submission,
    "application.resubmitted": service.register_submission,
    "application.withdrawn": service.register_withdrawal,
    "evidence.stored": service.register_evidence,
    "campaign.forwarded": package_service.register_unit_campaign,
    "campaign.deadline_extended": service.register_deadline_extension,
    "document.rendered": service.register_rendered_document,
}
