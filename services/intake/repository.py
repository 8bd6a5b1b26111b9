"""Every query intake makes."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.models import (
    Application,
    DocumentRow,
    Enterprise,
    EvidenceFileRow,
    RecommendingUnit,
    UnitCampaign,
    User,
)


async def user_by_username(session: AsyncSession, username: str) -> User | None:
    return (
        await session.execute(select(User).where(User.username == username))
    ).scalar_one_or_none()


async def user_by_id(session: AsyncSession, user_id: str) -> User | None:
    return await session.get(User, user_id)


async def enterprise(session: AsyncSession, enterprise_id: str) -> Enterprise | None:
    return await session.get(Enterprise, enterprise_id)


async def unit(session: AsyncSession, unit_id: str) -> RecommendingUnit | None:
    return await session.get(RecommendingUnit, unit_id)


async def open_unit_campaign(session: AsyncSession, unit_id: str) -> UnitCampaign | None:
    query = (
        select(UnitCampaign)
        .where(UnitCampaign.unit_id == unit_id)
        .order_by(UnitCampaign.deadline_at.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def unit_campaign(
    session: AsyncSession, unit_id: str, campaign_id: str
) -> UnitCampaign | None:
    return await session.get(UnitCampaign, (unit_id, campaign_id))


async def application(
    session: AsyncSession, application_id: uuid.UUID, *, for_update: bool = False
) -> Application | None:
    query = select(Application).where(Application.application_id == application_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def applications_of_enterprise(
    session: AsyncSession, enterprise_id: str
) -> list[Application]:
    query = (
        select(Application)
        .where(Application.enterprise_id == enterprise_id)
        .order_by(Application.created_at.desc())
    )
    return list((await session.execute(query)).scalars())


async def evidence_of(session: AsyncSession, application_id: uuid.UUID) -> list[EvidenceFileRow]:
    query = (
        select(EvidenceFileRow)
        .where(EvidenceFileRow.application_id == application_id)
        .order_by(EvidenceFileRow.created_at)
    )
    return list((await session.execute(query)).scalars())


async def documents_of(
    session: AsyncSession, application_id: uuid.UUID, revision: int
) -> list[DocumentRow]:
    query = (
        select(DocumentRow)
        .where(DocumentRow.application_id == application_id, DocumentRow.revision == revision)
        .order_by(DocumentRow.format)
    )
    return list((await session.execute(query)).scalars())


async def document(
    session: AsyncSession, application_id: uuid.UUID, revision: int, file_format: str
) -> DocumentRow | None:
    query = select(DocumentRow).where(
        DocumentRow.application_id == application_id,
        DocumentRow.revision == revision,
        DocumentRow.format == file_format,
    )
    return (await session.execute(query)).scalar_one_or_none()
