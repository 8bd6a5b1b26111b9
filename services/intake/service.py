"""Intake's use cases: load rows, ask the domain, write rows and outbox events; never commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import repository
from services.intake.domain.application import (
    DECISION_STATUSES,
    ApplicationStatus,
    ensure_allowed,
    is_stale_decision,
    next_status,
)
from services.intake.domain.deadlines import ensure_correction_open, ensure_open
from services.intake.domain.errors import (
    AuthenticationError,
    ConflictError,
    FileTooLargeError,
    ForbiddenError,
    NotFoundError,
)
from services.intake.domain.files import FileKind
from services.intake.domain.form_rules import FormFacts, check_form
from services.intake.domain.login_throttle import LoginThrottle
from services.intake.domain.scanning import RELEASED, ScanStatus
from services.intake.models import (
    Application,
    EvidenceFileRow,
    IdempotentSubmission,
    User,
    messaging_tables,
)
from services.intake.schemas import ApplicationFormIn
from shared.auth import Principal, Role
from shared.events import (
    Applicant,
    ApplicationAccepted,
    ApplicationAwarded,
    ApplicationDisqualified,
    ApplicationDraftCreated,
    ApplicationDraftUpdated,
    ApplicationDraftWithdrawn,
    ApplicationForm,
    ApplicationNotAwarded,
    ApplicationRecommended,
    ApplicationRejected,
    ApplicationResubmitted,
    ApplicationReturned,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    Contact,
    DocumentFailed,
    DocumentRendered,
    EvidenceFile,
    EvidenceStored,
    NotificationFailed,
    NotificationSent,
    UnitDisqualified,
)
from shared.messaging.outbox import add_to_outbox
from shared.storage import StoredObject

password_hasher = PasswordHasher()


@dataclass(frozen=True)
class UploadSlot:
    storage_key: str
    max_bytes: int


async def authenticate(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    address: str,
    throttle: LoginThrottle,
    now: datetime,
) -> User:
    throttle.ensure_allowed(username, address, now)
    user = await repository.user_by_username(session, username)
    refusal = AuthenticationError("用户名或密码错误，请重新输入。")
    if user is None:
        password_hasher.hash(password)  # same cost either way: do not reveal which usernames exist
        throttle.record_failure(username, address, now)
        raise refusal
    try:
        password_hasher.verify(user.password_hash, password)
    except VerifyMismatchError as exc:
        throttle.record_failure(username, address, now)
        raise refusal from exc
    throttle.record_success(username, address)
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
    check_form(_form_facts(form, enterprise.name))
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
    await add_to_outbox(
        session,
        messaging_tables,
        ApplicationDraftCreated(
            campaign_id=application.campaign_id,
            application_id=application.application_id,
            unit_id=application.unit_id,
            enterprise_id=application.enterprise_id,
            applicant=await _applicant(session, actor),
            enterprise_name=form.enterprise_name,
            group_name=form.group_name,
            topic_name=form.topic_name,
            created_at=now,
        ),
    )
    return application


async def update_application(
    session: AsyncSession,
    *,
    actor: Principal,
    application_id: uuid.UUID,
    form: ApplicationFormIn,
    now: datetime,
) -> Application:
    application = await load_for_actor(
        session, actor=actor, application_id=application_id, for_update=True
    )
    ensure_allowed(ApplicationStatus(application.status), "edit")
    check_form(_form_facts(form, await _registered_name(session, application.enterprise_id)))
    application.form = _stored_form(form, str(application.form["recommending_unit_name"]))
    if application.status == ApplicationStatus.DRAFT:
        await _announce_draft_edit(session, application, form, now=now)
    return application


async def _announce_draft_edit(
    session: AsyncSession, application: Application, form: ApplicationFormIn, *, now: datetime
) -> None:
    """Only drafts: once submitted, the unit and notify hear the names from the submission."""
    await add_to_outbox(
        session,
        messaging_tables,
        ApplicationDraftUpdated(
            campaign_id=application.campaign_id,
            application_id=application.application_id,
            unit_id=application.unit_id,
            enterprise_id=application.enterprise_id,
            enterprise_name=form.enterprise_name,
            group_name=form.group_name,
            topic_name=form.topic_name,
            updated_at=now,
        ),
    )


async def _registered_name(session: AsyncSession, enterprise_id: str) -> str:
    enterprise = await repository.enterprise(session, enterprise_id)
    if enterprise is None:
        raise NotFoundError("您所在的企业未在推荐单位登记，请联系推荐单位。")
    return enterprise.name


def _form_facts(form: ApplicationFormIn, registered_name: str) -> FormFacts:
    return FormFacts(
        enterprise_name=form.enterprise_name,
        registered_enterprise_name=registered_name,
        topic_type=form.topic_type.value,
        target_kind=form.target_kind.value if form.target_kind else None,
        member_roles=[member.role.value for member in form.members],
        summary=form.summary,
    )


def _stored_form(form: ApplicationFormIn, unit_name: str) -> dict[str, object]:
    return {"recommending_unit_name": unit_name, **form.model_dump(mode="json")}


def certificate_line(application: Application) -> str:
    return ApplicationForm.model_validate(application.form).certificate_line


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
    scan_status: ScanStatus = ScanStatus.NOT_SCANNED,
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
        scan_status=scan_status.value,
    )
    session.add(row)
    await session.flush()
    if scan_status not in RELEASED:
        return row  # held until scanned: nobody downstream may see it yet
    await add_to_outbox(
        session,
        messaging_tables,
        EvidenceStored(
            campaign_id=application.campaign_id,
            application_id=application_id,
            unit_id=application.unit_id,
            file=_evidence_file(row),
        ),
    )
    return row


async def replayed_submission(
    session: AsyncSession, *, actor: Principal, application_id: uuid.UUID, key: str | None
) -> dict[str, object] | None:
    """The response an earlier submit with this Idempotency-Key gave (the application locked)."""
    if key is None:
        return None
    earlier = await repository.idempotent_submission(session, actor.user_id, key)
    if earlier is None:
        return None
    if earlier.application_id != application_id:
        raise ConflictError(
            "Idempotency-Key 已用于另一份申报表的提交，请为每次提交使用新的 Idempotency-Key。"
        )
    return earlier.response


async def remember_submission(
    session: AsyncSession,
    *,
    actor: Principal,
    application_id: uuid.UUID,
    key: str | None,
    response: dict[str, object],
    now: datetime,
) -> None:
    if key is None:
        return
    session.add(
        IdempotentSubmission(
            user_id=actor.user_id,
            key=key,
            application_id=application_id,
            response=response,
            created_at=now,
        )
    )
    await session.flush()


async def submit_application(
    session: AsyncSession,
    *,
    actor: Principal,
    application: Application,
    confirmed_line: str,
    now: datetime,
    correlation_id: str,
) -> None:
    """Submit the application, loaded for update with `load_for_actor`."""
    current = ApplicationStatus(application.status)
    status = next_status(current, "submit")
    _ensure_confirmed(certificate_line(application), confirmed_line)
    await _ensure_submittable_in_time(session, application, now=now)
    evidence = await repository.evidence_of(session, application.application_id)
    _ensure_all_released(evidence)
    form = ApplicationForm.model_validate(application.form)
    check_form(_event_form_facts(form, await _registered_name(session, application.enterprise_id)))
    application.status = status
    application.revision += 1
    application.submitted_at = now
    application.decision = None
    application.correction_deadline_at = None
    event_class = (
        ApplicationResubmitted if status is ApplicationStatus.RESUBMITTED else ApplicationSubmitted
    )
    await add_to_outbox(
        session,
        messaging_tables,
        event_class(
            campaign_id=application.campaign_id,
            correlation_id=correlation_id,
            application_id=application.application_id,
            revision=application.revision,
            unit_id=application.unit_id,
            enterprise_id=application.enterprise_id,
            applicant=await _applicant(session, actor),
            enterprise_contact=await _first_enterprise_contact(session, application.enterprise_id),
            unit_contact=await _unit_contact(session, application),
            form=form,
            evidence=tuple(_evidence_file(row) for row in evidence),
            submitted_at=now,
            group_registration_number=application.group_registration_number,
            topic_registration_number=application.topic_registration_number,
        ),
    )


def _ensure_all_released(evidence: list[EvidenceFileRow]) -> None:
    held = [row.filename for row in evidence if row.scan_status == ScanStatus.HELD]
    infected = [row.filename for row in evidence if row.scan_status == ScanStatus.INFECTED]
    if infected:
        raise ConflictError(
            f"材料“{'、'.join(infected)}”经病毒扫描发现恶意代码，请删除该文件后再提交。"
        )
    if held:
        raise ConflictError(
            f"材料“{'、'.join(held)}”正在等待病毒扫描，扫描通过后才能提交，请稍后再试。"
        )


async def release_scanned_file(
    session: AsyncSession, *, file_id: uuid.UUID, status: ScanStatus
) -> None:
    """A held file's late verdict: clean ones are announced now, infected ones stay blocked."""
    row = await repository.evidence_file(session, file_id, for_update=True)
    if row is None or row.scan_status != ScanStatus.HELD:
        return
    row.scan_status = status.value
    application = await repository.application(session, row.application_id)
    if status is ScanStatus.CLEAN and application is not None:
        await add_to_outbox(
            session,
            messaging_tables,
            EvidenceStored(
                campaign_id=application.campaign_id,
                application_id=row.application_id,
                unit_id=application.unit_id,
                file=_evidence_file(row),
            ),
        )


async def delete_evidence(
    session: AsyncSession, *, actor: Principal, application_id: uuid.UUID, file_id: uuid.UUID
) -> str:
    """Remove a file from an editable application; returns the storage key to delete."""
    application = await load_for_actor(
        session, actor=actor, application_id=application_id, for_update=True
    )
    ensure_allowed(ApplicationStatus(application.status), "attach")
    row = await repository.evidence_file(session, file_id, for_update=True)
    if row is None or row.application_id != application_id:
        raise NotFoundError("文件不存在，请刷新页面后重试。")
    await session.delete(row)
    return row.storage_key


def _ensure_confirmed(expected: str, confirmed: str) -> None:
    if confirmed != expected:
        raise ConflictError(
            f"证书名称确认：证书将印制为“{expected}”。请核对企业名称（公章全称）和小组名称，"
            "确认无误后原样提交该名称；如需修改，请先修改申报表。"
        )


async def _ensure_submittable_in_time(
    session: AsyncSession, application: Application, *, now: datetime
) -> None:
    if application.status == ApplicationStatus.RETURNED:
        ensure_correction_open(now, application.correction_deadline_at)
        return
    unit_campaign = await repository.unit_campaign(
        session, application.unit_id, application.campaign_id
    )
    if unit_campaign is None:
        raise NotFoundError("推荐单位的申报通知不存在。")
    ensure_open(now, unit_campaign.deadline_at, str(application.form["recommending_unit_name"]))


def _event_form_facts(form: ApplicationForm, registered_name: str) -> FormFacts:
    return FormFacts(
        enterprise_name=form.enterprise_name,
        registered_enterprise_name=registered_name,
        topic_type=form.topic_type.value,
        target_kind=form.target_kind.value if form.target_kind else None,
        member_roles=[member.role.value for member in form.members],
        summary=form.summary,
    )


async def _applicant(session: AsyncSession, actor: Principal) -> Applicant:
    user = await repository.user_by_id(session, actor.user_id)
    return Applicant(user_id=actor.user_id, name=actor.name, email=user.email if user else "")


async def _first_enterprise_contact(session: AsyncSession, enterprise_id: str) -> Contact | None:
    enterprise = await repository.enterprise(session, enterprise_id)
    contacts = enterprise.contacts if enterprise else []
    return Contact.model_validate(contacts[0]) if contacts else None


async def _unit_contact(session: AsyncSession, application: Application) -> Contact | None:
    unit_campaign = await repository.unit_campaign(
        session, application.unit_id, application.campaign_id
    )
    contacts = unit_campaign.contacts if unit_campaign else []
    return Contact.model_validate(contacts[0]) if contacts else None


async def withdraw_application(
    session: AsyncSession,
    *,
    actor: Principal,
    application_id: uuid.UUID,
    reason: str,
    correlation_id: str,
) -> Application:
    application = await load_for_actor(
        session, actor=actor, application_id=application_id, for_update=True
    )
    was_sent = application.revision > 0
    application.status = next_status(ApplicationStatus(application.status), "withdraw")
    if was_sent:
        await add_to_outbox(
            session,
            messaging_tables,
            ApplicationWithdrawn(
                campaign_id=application.campaign_id,
                correlation_id=correlation_id,
                application_id=application.application_id,
                unit_id=application.unit_id,
                enterprise_id=application.enterprise_id,
                reason=reason,
            ),
        )
    else:  # a draft never reached the unit: only notify (its deadline reminders) hears of it
        await add_to_outbox(
            session,
            messaging_tables,
            ApplicationDraftWithdrawn(
                campaign_id=application.campaign_id,
                correlation_id=correlation_id,
                application_id=application.application_id,
                unit_id=application.unit_id,
                enterprise_id=application.enterprise_id,
            ),
        )
    return application


Decision = (
    ApplicationAccepted
    | ApplicationReturned
    | ApplicationRejected
    | ApplicationRecommended
    | ApplicationAwarded
    | ApplicationNotAwarded
    | ApplicationDisqualified
)


async def record_decision(session: AsyncSession, event: Decision) -> None:
    application = await repository.application(session, event.application_id, for_update=True)
    if application is None:
        return
    if is_stale_decision(
        ApplicationStatus(application.status),
        decided_revision=event.revision,
        current_revision=application.revision,
    ):
        return
    application.status = DECISION_STATUSES[event.type]
    application.decision = _decision_record(event)
    if isinstance(event, ApplicationReturned):
        application.correction_deadline_at = event.correction_deadline_at


def _decision_record(event: Decision) -> dict[str, object]:
    reasons = getattr(event, "reasons", ())
    reason_text = getattr(event, "reason", "")
    return {
        "type": event.type,
        "comment": event.comment or reason_text,
        "reasons": [reason.model_dump(mode="json") for reason in reasons],
        "revision": event.revision,
        "decided_at": event.occurred_at.isoformat(),
    }


async def record_unit_disqualified(session: AsyncSession, event: UnitDisqualified) -> None:
    rows = await repository.applications_by_ids(session, list(event.affected_application_ids))
    for application in rows:
        if application.status == ApplicationStatus.WITHDRAWN:
            continue
        application.status = ApplicationStatus.DISQUALIFIED
        application.decision = {
            "type": event.type,
            "comment": f"{event.unit_name}的推荐资格已被取消：{event.reason}",
            "reasons": [],
            "revision": application.revision,
            "decided_at": event.occurred_at.isoformat(),
        }


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
    documents = [
        {
            "application_id": application_id,
            "revision": event.revision,
            "format": rendered.format,
            "storage_key": rendered.storage_key,
            "sha256": rendered.sha256,
            "size": rendered.size,
            "content_type": rendered.content_type,
            "template_version": event.template_version,
        }
        for rendered in event.files
    ]
    await repository.add_documents(session, documents)
    await repository.clear_render_error(session, application_id)


async def record_render_failure(session: AsyncSession, event: DocumentFailed) -> None:
    application = await repository.application(session, uuid.UUID(event.subject_id))
    if application is not None:
        application.render_error = event.reason


async def record_delivery(
    session: AsyncSession, event: NotificationSent | NotificationFailed
) -> None:
    """Keep notify's report when it concerns one of our applications (shown as 通知记录)."""
    try:
        application_id = uuid.UUID(event.subject_id)
    except ValueError:
        return  # about a unit or a group, not an application
    failed = isinstance(event, NotificationFailed)
    record = repository.DeliveryRecordValues(
        delivery_id=event.delivery_id,
        application_id=application_id,
        channel=event.channel,
        recipient=event.recipient,
        template=event.template,
        status="failed" if failed else "sent",
        reason=event.reason if isinstance(event, NotificationFailed) else "",
        reported_at=event.occurred_at,
    )
    await repository.save_delivery_record(session, record)  # kept if the application is ours
