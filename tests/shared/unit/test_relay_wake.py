"""The outbox relay is woken after a commit only when that transaction wrote outbox rows.

Waking it costs a relay transaction; a consumer whose handler publishes nothing used to pay one
per consumed event.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events import ApplicationWithdrawn
from shared.messaging.consumer import EventConsumer
from shared.messaging.outbox import add_to_outbox


def withdrawn() -> ApplicationWithdrawn:
    return ApplicationWithdrawn(application_id=uuid.uuid4(), unit_id="xizang", enterprise_id="e1")


async def test_the_relay_is_woken_only_after_handlers_that_wrote_to_the_outbox(
    sqlite_messaging,
):
    tables, sessionmaker = sqlite_messaging
    wakes: list[str] = []

    async def records_only(_session: AsyncSession, _event: ApplicationWithdrawn) -> None:
        return None

    async def publishes(session: AsyncSession, event: ApplicationWithdrawn) -> None:
        await add_to_outbox(session, tables, withdrawn())

    def consumer(handler) -> EventConsumer:
        return EventConsumer(
            sessionmaker,
            tables,
            {"application.withdrawn": handler},
            wake_relay=lambda: wakes.append(handler.__name__),
        )

    assert await consumer(records_only).apply(withdrawn().model_dump_json().encode()) is True
    assert wakes == []
    assert await consumer(publishes).apply(withdrawn().model_dump_json().encode()) is True
    assert wakes == ["publishes"]
