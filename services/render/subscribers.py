"""What render hears from the bus.

An unrenderable document is not retried: its failure is committed in a transaction of its own
(so `document.failed` goes out even though the handler's transaction rolls back), then the
handler raises `DocumentDeadLetteredError`, which the consumer treats as an unreadable message
and dead-letters at once. The queue moves on; the message waits in `render.dead-letter` with
the reason in the logs and in `render_failures`. Transient errors (storage, database) raise
anything else and are retried up to the queue's delivery limit as usual.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from functools import partial
from typing import TYPE_CHECKING, Any

from services.render import service
from services.render.service import UnrenderableDocumentError
from shared.messaging.consumer import Handler, UnreadableMessageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.ext.asyncio import AsyncSession

    from services.render.workers import RenderWorker
    from shared.storage import ObjectStore


class DocumentDeadLetteredError(UnreadableMessageError):
    """Retrying cannot render this document: dead-letter its message without retries."""


def handlers(
    worker: RenderWorker,
    store: ObjectStore,
    transaction: Callable[[], AbstractAsyncContextManager[AsyncSession]],
) -> dict[str, Handler]:
    def handle(use_case: Callable[..., Any]) -> Handler:
        return _dead_lettering(partial(use_case, worker=worker, store=store), transaction)

    return {
        "application.submitted": handle(service.render_application_form),
        "application.resubmitted": handle(service.render_application_form),
        "group.registered": handle(service.render_registration_form),
        "application.awarded": handle(service.render_certificate),
        "campaign.forwarded": handle(service.render_forwarded_notice),
        "table.requested": handle(service.render_table),
    }


def _dead_lettering(
    handler: Handler, transaction: Callable[[], AbstractAsyncContextManager[AsyncSession]]
) -> Handler:
    async def handle(session: AsyncSession, event: Any) -> None:  # noqa: ANN401 - any event type
        try:
            await handler(session, event)
        except UnrenderableDocumentError as exc:
            # Release this transaction (and SQLite's write lock) before recording the failure.
            await session.rollback()
            async with transaction() as failure_session:
                await service.record_failure(failure_session, exc.failure)
            raise DocumentDeadLetteredError(exc.failure.reason) from exc

    return handle
