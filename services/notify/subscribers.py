"""What notify hears from the bus."""

from __future__ import annotations

from functools import partial

from services.notify import package_notes, service
from shared.messaging.consumer import Handler


def handlers(public_url: str) -> dict[str, Handler]:
    return {
        "application.draft_created": service.note_draft_created,
        "application.draft_updated": service.note_draft_updated,
        "application.draft_withdrawn": service.note_draft_withdrawn,
        "application.submitted": partial(service.note_submission, public_url=public_url),
        "application.resubmitted": partial(service.note_submission, public_url=public_url),
        "application.withdrawn": service.note_withdrawn,
        "document.rendered": partial(service.note_documents, public_url=public_url),
        "campaign.forwarded": partial(service.note_forwarded, public_url=public_url),
        "campaign.deadline_extended": partial(
            service.note_deadline_extended, public_url=public_url
        ),
        "application.returned": partial(service.note_returned, public_url=public_url),
        "application.rejected": partial(service.note_rejected, public_url=public_url),
        "application.recommended": partial(service.note_recommended, public_url=public_url),
        "application.awarded": partial(service.note_awarded, public_url=public_url),
        "application.not_awarded": partial(service.note_not_awarded, public_url=public_url),
        "unit.disqualified": partial(service.note_unit_disqualified, public_url=public_url),
        "reviewer.assigned": partial(service.note_reviewer_assigned, public_url=public_url),
        "assignment.completed": service.note_assignment_completed,
        "package.submitted": partial(service.note_package_submitted, public_url=public_url),
        "package.returned": partial(service.note_package_returned, public_url=public_url),
        "package.accepted": partial(service.note_package_accepted, public_url=public_url),
        "package.reminded": partial(package_notes.note_package_reminded, public_url=public_url),
    }
