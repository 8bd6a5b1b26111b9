"""Review's use cases."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.review.domain.access import ensure_can_view, visible_unit
from services.review.domain.errors import NotFoundError
from services.review.models import Entry
from shared.auth import Principal
from shared.events import ApplicationSubmitted

AWAITING_SCREENING = "awaiting_screening"


async def register_submission(session: AsyncSession, event: ApplicationSubmitted) -> None:
    entry = await session.get(Entry, event.application_id, with_for_update=True)
    if entry is not None and entry.revision >= event.revision:
        return
    if entry is None:
        entry = Entry(application_id=event.application_id)
        session.add(entry)
    entry.revision = event.revision
    entry.campaign_id = event.campaign_id
    entry.unit_id = event.unit_id
    entry.enterprise_id = event.enterprise_id
    entry.enterprise_name = event.form.enterprise_name
    entry.group_name = event.form.group_name
    entry.topic_name = event.form.topic_name
    entry.topic_type = event.form.topic_type.value
    entry.status = AWAITING_SCREENING
    entry.evidence_count = len(event.evidence)
    entry.submitted_at = event.submitted_at


async def list_entries(session: AsyncSession, *, actor: Principal) -> list[Entry]:
    query = (
        select(Entry)
        .where(Entry.unit_id == visible_unit(actor))
        .order_by(Entry.submitted_at.desc())
    )
    return list((await session.execute(query)).scalars())


async def get_entry(session: AsyncSession, *, actor: Principal, application_id: uuid.UUID) -> Entry:
    entry = await session.get(Entry, application_id)
    if entry is None:
        raise NotFoundError("该申报不存在或尚未到达评审系统。")
    ensure_can_view(actor, entry.unit_id)
    return entry
