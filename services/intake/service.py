"""Intake's use cases: load rows, ask the domain, write rows and outbox events; never commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import repository
from services.intake.domain.application import ApplicationStatus, ensure_allowed, next_status
from services.intake.domain.deadlines import ensure_open
from services.intake.domain.errors import (
    AuthenticationError,
    FileTooLargeError,
    ForbiddenError,
    NotFoundError,
)
from services.intake.domain.files import FileKind
from services.intake.models import Application, DocumentRow, EvidenceFileRow, User, messaging_tables
from services.intake.schemas import ApplicationFormIn
from shared.auth import Principal, Role
from shared.events import (
    Applicant,
    ApplicationForm,
    ApplicationSubmitted,
    DocumentFailed,
    DocumentRendered,
    EvidenceFile,
)
from shared.messaging.outbox import add_to_outbox
from shared.storage import StoredObject

password_hasher = PasswordHasher()


@dataclass(frozen=True)
class UploadSlot:
    storage_key: str
    max_bytes: int


async def authenticate(session: AsyncSession, *, username: str, password: str) -> User:
    user = await repository.user_by_username(session, username)
    refusal = AuthenticationError("用户名或密码错误，请重新输入。")
    if user is None:
        password_hasher.hash(password)  # same cost either way: do not reveal which usernames exist
        raise refusal
    try:
        password_hasher.verify(user.password_hash, password)
    except VerifyMismatchError as exc:
        raise refusal from exc
    return user


def principal_of(user: User) -> Principal:
    return Principal(user_id=user.user_id, role=Role(user.role), org_id=user.org_id, name=user.name)


async def create_application(
    session: AsyncSession, *, actor: Principal, form: ApplicationFormIn, now: datetime
) -> Application:
    if actor.role is not Role.APPLICANT:
        raise ForbiddenError("只有企业申报账号可以创建申报表。")
    enterprise = await repository.enterprise(session, actor.org_id)
    if enterprise is None:
        raise ForbiddenError("您的账号未关联企业，请联系推荐单位。")
    unit = await repository.unit(session, enterprise.unit_id)
    unit_campaign = await repository.open_unit_campaign(session, enterprise.unit_id)
    if unit is None or unit_campaign is None:
        raise NotFoundError("您所在的推荐单位尚未转发本年度的申报通知，暂时不能申报。")
    application = Application(
        application_id=uuid.uuid4(),
        campaign_id=unit_campaign.campaign_id,
        unit_id=unit.unit_id,
        enterprise_id=enterprise.enterprise_id,
        owner_user_id=actor.user_id,
        status=ApplicationStatus.DRAFT,
        revision=0,
        created_at=now,
        form=_stored_form(form, unit.name),
    )
    session.add(application)
    await session.flush()
    return application


async def update_application(
    session: AsyncSession, *, actor: Principal, application_id: uuid.UUID, form: ApplicationFormIn
) -> Application:
    application = await load_for_actor(
        session, actor=actor, application_id=application_id, for_update=True
    )
    ensure_allowed(ApplicationStatus(application.status), "edit")
    application.form = _stored_form(form, str(application.form["recommending_unit_name"]))
    return application


def _stored_form(form: ApplicationFormIn, unit_name: str) -> dict[str, object]:
    return {"recommending_unit_name": unit_name, **form.model_dump(mode="json")}


async def load_for_actor(
    session: AsyncSession, *, actor: Principal, application_id: uuid.UUID, for_update: bool = False
) -> Application:
    application = await repository.application(session, application_id, for_update=for_update)
    if application is None:
        raise NotFoundError("申报表不存在，请检查链接是否正确。")
    if actor.role is not Role.APPLICANT or application.enterprise_id != actor.org_id:
        raise ForbiddenError("无权访问该申报表：它不属于您所在的企业。")
    return application


async def reserve_upload(
    session: AsyncSession,
    *,
    actor: Principal,
    application_id: uuid.UUID,
    max_file_bytes: int,
    max_application_bytes: int,
) -> UploadSlot:
    application = await load_for_actor(session, actor=actor, application_id=application_id)
    ensure_allowed(ApplicationStatus(application.status), "attach")
    used = sum(row.size for row in await repository.evidence_of(session, application_id))
    remaining = max_application_bytes - used
    if remaining <= 0:
        raise FileTooLargeError("本申报的材料总量已达上限，请删除不需要的文件后再上传。")
    key = f"evidence/{application_id}/{uuid.uuid4()}"
    return UploadSlot(storage_key=key, max_bytes=min(max_file_bytes, remaining))


async def record_upload(
    session: AsyncSession,
    *,
    actor: Principal,
    application_id: uuid.UUID,
    kind: FileKind,
    filename: str,
    stored: StoredObject,
    now: datetime,
) -> EvidenceFileRow:
    application = await load_for_actor(
        session, actor=actor, application_id=application_id, for_update=True
    )
    ensure_allowed(ApplicationStatus(application.status), "attach")
    row = EvidenceFileRow(
        file_id=uuid.uuid4(),
        application_id=application_id,
        kind=kind.value,
        filename=filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def submit_application(
    session: AsyncSession,
    *,
    actor: Principal,
    application_id: uuid.UUID,
    now: datetime,
    correlation_id: str,
) -> Application:
    application = await load_for_actor(
        session, actor=actor, application_id=application_id, for_update=True
    )
    status = next_status(ApplicationStatus(application.status), "submit")
    unit_campaign = await repository.unit_campaign(
        session, application.unit_id, application.campaign_id
    )
    if unit_campaign is None:
        raise NotFoundError("推荐单位的申报通知不存在。")
    ensure_open(now, unit_campaign.deadline_at, str(application.form["recommending_unit_name"]))
    application.status = status
    application.revision += 1
    application.submitted_at = now
    user = await repository.user_by_id(session, actor.user_id)
    evidence = await repository.evidence_of(session, application_id)
    await add_to_outbox(
        session,
        messaging_tables,
        ApplicationSubmitted(
            campaign_id=application.campaign_id,
            correlation_id=correlation_id,
            application_id=application.application_id,
            revision=application.revision,
            unit_id=application.unit_id,
            enterprise_id=application.enterprise_id,
            applicant=Applicant(
                user_id=actor.user_id, name=actor.name, email=user.email if user else ""
            ),
            form=ApplicationForm.model_validate(application.form),
            evidence=tuple(_evidence_file(row) for row in evidence),
            submitted_at=now,
        ),
    )
    return application


def _evidence_file(row: EvidenceFileRow) -> EvidenceFile:
    return EvidenceFile(
        file_id=row.file_id,
        kind=row.kind,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        storage_key=row.storage_key,
    )


async def record_rendered_documents(session: AsyncSession, event: DocumentRendered) -> None:
    application_id = uuid.UUID(event.subject_id)
    for rendered in event.files:
        existing = await repository.document(
            session, application_id, event.revision, rendered.format
        )
        if existing is not None:
            continue
        session.add(
            DocumentRow(
                application_id=application_id,
                revision=event.revision,
                format=rendered.format,
                storage_key=rendered.storage_key,
                sha256=rendered.sha256,
                size=rendered.size,
                content_type=rendered.content_type,
                template_version=event.template_version,
            )
        )
    application = await repository.application(session, application_id)
    if application is not None:
        application.render_error = None


async def record_render_failure(session: AsyncSession, event: DocumentFailed) -> None:
    application = await repository.application(session, uuid.UUID(event.subject_id))
    if application is not None:
        application.render_error = event.reason
