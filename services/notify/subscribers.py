"""What notify hears from the bus."""

from __future__ import annotations

from functools import partial

from services.notify import service
from shared.messaging.consumer import Handler


def handlers(public_url: str) -> dict[str, Handler]:
    return {
        "application.submitted": partial(service.note_submission, public_url=public_url),
        "document.rendered": partial(service.note_documents, public_url=public_url),
    }
