"""What render hears from the bus."""

from __future__ import annotations

from functools import partial

from services.render import service
from services.render.service import Renderers
from shared.messaging.consumer import Handler
from shared.storage import ObjectStore


def handlers(renderers: Renderers, store: ObjectStore) -> dict[str, Handler]:
    return {
        "application.submitted": partial(
            service.render_application_form, renderers=renderers, store=store
        ),
    }
