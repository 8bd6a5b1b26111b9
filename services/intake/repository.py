"""Every query intake makes."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any, TypedDict, cast

from sqlalchemy import Executable, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.models import (
    Application,
    Campaign,
    DeadlineExtension,
    DeliveryRecord,
    DocumentRow,
    Enterprise,
    EvidenceFileRow,
    IdempotentSubmission,
    QcGroup,
    QcTopic,
    RecommendingUnit,
    RegistrationCounter,
    UnitCampaign,
    User,
)
from shared.db import dialect_insert, insert_ignore_many, insert_in


class DeliveryRecordValues(TypedDict):
    """A `delivery_records` row, every column."""

    delivery_id: str
    application_id: uuid.UUID
    channel: str
    recipient: str
    template: str
    status: str
    reason: str
    reported_at: datetime


# The statements read on every status page and submission, built once with their values bound
# at execution: building one cost about as much CPU as running it.
_APPLICATION = select(Application).where(Application.application_id == bindparam("application_id"))
_APPLICATION_FOR_UPDATE = _APPLICATION.with_for_update()
_EVIDENCE_OF = (
    select(EvidenceFileRow)
    .where(EvidenceFileRow.application_id == bindparam("application_id"))
    .order_by(EvidenceFileRow.created_at)
)
_DOCUMENTS_OF = (
    select(DocumentRow)
    .where(
        DocumentRow.application_id == bindparam("application_id"),
        DocumentRow.revision == bindparam("revision"),
    )
    .order_by(DocumentRow.format)
)
_CLEAR_RENDER_ERROR = (
    update(Application)
    .where(
        Application.application_id == bindparam("rendered_id"),  # not a column's name
        Application.render_error.is_not(None),
    )
    .values(render_error=None)
    .execution_options(synchronize_session=False)
)
_DELIVERY_RECORDS_OF = (
    select(DeliveryRecord)
    .where(DeliveryRecord.application_id == bindparam("application_id"))
    .order_by(DeliveryRecord.reported_at)
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
    query = _APPLICATION_FOR_UPDATE if for_update else _APPLICATION
    return (await session.execute(query, {"application_id": application_id})).scalar_one_or_none()


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
    return list((await session.execute(_EVIDENCE_OF, {"application_id": application_id})).scalars())


async def documents_of(
    session: AsyncSession, application_id: uuid.UUID, revision: int
) -> list[DocumentRow]:
    values = {"application_id": application_id, "revision": revision}
    return list((await session.execute(_DOCUMENTS_OF, values)).scalars())


async def clear_render_error(session: AsyncSession, application_id: uuid.UUID) -> None:
    await session.execute(_CLEAR_RENDER_ERROR, {"rendered_id": application_id})


async def add_documents(session: AsyncSession, documents: list[dict[str, Any]]) -> None:
    """One INSERT for all of them; a document already recorded (a re-render) keeps the first."""
    await insert_ignore_many(session, DocumentRow, documents)


async def save_delivery_record(session: AsyncSession, record: DeliveryRecordValues) -> None:
    """Notify's latest report on a delivery, kept only if its application is ours: one statement.

    INSERT … SELECT … WHERE EXISTS (the application) ON CONFLICT DO UPDATE: the application's
    row is not loaded (its form is JSON parsed on every load) and the record is not read first.
    """
    upsert = _delivery_record_upsert(session.get_bind().dialect.name)
    await session.execute(upsert, {f"reported_{name}": value for name, value in record.items()})


@functools.cache
def _delivery_record_upsert(dialect_name: str) -> Executable:
    table = cast("Table", DeliveryRecord.__table__)  # Core: ORM inserts take rows, not params
    names = list(DeliveryRecordValues.__annotations__)
    reported = select(*(bindparam(f"reported_{name}", type_=table.c[name].type) for name in names))
    ours = select(Application.application_id).where(
        Application.application_id == bindparam("reported_application_id")
    )
    statement = insert_in(dialect_name, table).from_select(names, reported.where(ours.exists()))
    changed = {name: statement.excluded[name] for name in names if name != "delivery_id"}
    return statement.on_conflict_do_update(index_elements=["delivery_id"], set_=changed)


async def document(
    session: AsyncSession, application_id: uuid.UUID, revision: int, file_format: str
) -> DocumentRow | None:
    query = select(DocumentRow).where(
        DocumentRow.application_id == application_id,
        DocumentRow.revision == revision,
        DocumentRow.format == file_format,
    )
    return (await session.execute(query)).scalar_one_or_none()


async def campaign(session: AsyncSession, campaign_id: str) -> Campaign | None:
    return await session.get(Campaign, campaign_id)


async def unit_campaigns_of(session: AsyncSession, unit_id: str) -> list[UnitCampaign]:
    query = (
        select(UnitCampaign)
        .where(UnitCampaign.unit_id == unit_id)
        .order_by(UnitCampaign.deadline_at.desc())
    )
    return list((await session.execute(query)).scalars())


async def extensions_of(
    session: AsyncSession, unit_id: str, campaign_id: str
) -> list[DeadlineExtension]:
    query = (
        select(DeadlineExtension)
        .where(DeadlineExtension.unit_id == unit_id, DeadlineExtension.campaign_id == campaign_id)
        .order_by(DeadlineExtension.extended_at)
    )
    return list((await session.execute(query)).scalars())


async def enterprises_of_unit(session: AsyncSession, unit_id: str) -> list[Enterprise]:
    query = select(Enterprise).where(Enterprise.unit_id == unit_id).order_by(Enterprise.name)
    return list((await session.execute(query)).scalars())


async def enterprise_by_credit_code(session: AsyncSession, credit_code: str) -> Enterprise | None:
    query = select(Enterprise).where(Enterprise.credit_code == credit_code)
    return (await session.execute(query)).scalar_one_or_none()


async def applicants_of(session: AsyncSession, enterprise_ids: list[str]) -> list[User]:
    query = select(User).where(User.org_id.in_(enterprise_ids), User.role == "applicant")
    return list((await session.execute(query)).scalars())


async def users_of_org(session: AsyncSession, org_id: str, role: str) -> list[User]:
    query = select(User).where(User.org_id == org_id, User.role == role).order_by(User.user_id)
    return list((await session.execute(query)).scalars())


async def idempotent_submission(
    session: AsyncSession, user_id: str, key: str
) -> IdempotentSubmission | None:
    return await session.get(IdempotentSubmission, (user_id, key))


async def applications_by_ids(
    session: AsyncSession, application_ids: list[uuid.UUID]
) -> list[Application]:
    query = (
        select(Application).where(Application.application_id.in_(application_ids)).with_for_update()
    )
    return list((await session.execute(query)).scalars())


async def next_sequence(session: AsyncSession, unit_id: str, year: int, series: str) -> int:
    """One atomic upsert: concurrent registrations never get the same number."""
    statement = dialect_insert(session, RegistrationCounter).values(
        unit_id=unit_id, year=year, series=series, last_value=1
    )
    upsert = statement.on_conflict_do_update(
        index_elements=["unit_id", "year", "series"],
        set_={"last_value": RegistrationCounter.last_value + 1},
    ).returning(RegistrationCounter.last_value)
    return int((await session.execute(upsert)).scalar_one())


async def group(session: AsyncSession, group_id: uuid.UUID) -> QcGroup | None:
    return await session.get(QcGroup, group_id)


async def groups_of_enterprise(session: AsyncSession, enterprise_id: str) -> list[QcGroup]:
    query = (
        select(QcGroup)
        .where(QcGroup.enterprise_id == enterprise_id)
        .order_by(QcGroup.registered_at.desc())
    )
    return list((await session.execute(query)).scalars())


async def topics_of(session: AsyncSession, group_id: uuid.UUID) -> list[QcTopic]:
    query = select(QcTopic).where(QcTopic.group_id == group_id).order_by(QcTopic.registered_at)
    return list((await session.execute(query)).scalars())


async def topic_by_number(session: AsyncSession, registration_number: str) -> QcTopic | None:
    query = select(QcTopic).where(QcTopic.registration_number == registration_number)
    return (await session.execute(query)).scalar_one_or_none()


async def held_files(session: AsyncSession, limit: int = 100) -> list[EvidenceFileRow]:
    query = (
        select(EvidenceFileRow)
        .where(EvidenceFileRow.scan_status == "held")
        .order_by(EvidenceFileRow.created_at)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def evidence_file(
    session: AsyncSession, file_id: uuid.UUID, *, for_update: bool = False
) -> EvidenceFileRow | None:
    query = select(EvidenceFileRow).where(EvidenceFileRow.file_id == file_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def delivery_records_of(
    session: AsyncSession, application_id: uuid.UUID
) -> list[DeliveryRecord]:
    values = {"application_id": application_id}
    return list((await session.execute(_DELIVERY_RECORDS_OF, values)).scalars())
