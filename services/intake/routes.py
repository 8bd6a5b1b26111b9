"""The intake HTTP API (thin: each route opens the transaction and calls one use case)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import repository, service
from services.intake.domain.application import (
    DECISION_STATUSES,
    STATUS_LABELS,
    ApplicationStatus,
)
from services.intake.domain.deadlines import format_china_time
from services.intake.domain.errors import NotFoundError
from services.intake.domain.files import FileKind
from services.intake.domain.form_rules import member_count_warnings
from services.intake.domain.login_throttle import LoginThrottle
from services.intake.models import Application, DeliveryRecord, DocumentRow, EvidenceFileRow
from services.intake.schemas import (
    ApplicationFormIn,
    ApplicationOut,
    CertificateLineOut,
    DecisionOut,
    DeliveryOut,
    DocumentOut,
    EvidenceOut,
    LoginIn,
    SubmitIn,
    TokenOut,
    WithdrawIn,
)
from services.intake.upload_routes import IntakeSettingsDep, UploadAdmitted
from services.intake.uploads import clean_filename, scan_stored, stream_upload
from shared.auth import issue_token
from shared.http import CorrelationId, CurrentPrincipal, Now, RuntimeDep

router = APIRouter(prefix="/api", tags=["申报"])


async def login_throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


async def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/login", summary="登录")
async def login(
    body: LoginIn,
    runtime: RuntimeDep,
    now: Now,
    throttle: Annotated[LoginThrottle, Depends(login_throttle)],
    address: Annotated[str, Depends(client_address)],
) -> TokenOut:
    async with runtime.transaction() as session:
        user = await service.authenticate(
            session,
            username=body.username,
            password=body.password,
            address=address,
            throttle=throttle,
            now=now,
        )
    settings = runtime.settings
    token = issue_token(
        service.principal_of(user),
        secret=settings.auth_secret.get_secret_value(),
        ttl_s=settings.token_ttl_s,
    )
    return TokenOut(access_token=token, role=user.role, name=user.name)


@router.post("/applications", status_code=status.HTTP_201_CREATED, summary="新建申报表（草稿）")
async def create_application(
    body: ApplicationFormIn, actor: CurrentPrincipal, runtime: RuntimeDep, now: Now
) -> ApplicationOut:
    async with runtime.transaction() as session:
        application = await service.create_application(session, actor=actor, form=body, now=now)
        return _application_view(application)  # a new draft has no files and no deliveries yet


@router.get("/applications", summary="本企业的申报表")
async def list_applications(actor: CurrentPrincipal, runtime: RuntimeDep) -> list[ApplicationOut]:
    async with runtime.reading() as session:
        rows = await repository.applications_of_enterprise(session, actor.org_id)
        return [
            await _application_out(session, row)
            for row in rows
            if row.enterprise_id == actor.org_id
        ]


@router.get("/applications/{application_id}", summary="申报表状态与生成的文件")
async def get_application(
    application_id: uuid.UUID, actor: CurrentPrincipal, runtime: RuntimeDep
) -> ApplicationOut:
    async with runtime.reading() as session:
        application = await service.load_for_actor(
            session, actor=actor, application_id=application_id
        )
        return await _application_out(session, application)


@router.put("/applications/{application_id}", summary="修改草稿")
async def update_application(
    application_id: uuid.UUID,
    body: ApplicationFormIn,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
) -> ApplicationOut:
    async with runtime.transaction() as session:
        application = await service.update_application(
            session, actor=actor, application_id=application_id, form=body, now=now
        )
        return await _application_out(session, application)


@router.post(
    "/applications/{application_id}/files",
    status_code=status.HTTP_201_CREATED,
    summary="上传材料（请求体即文件内容，流式写入存储）",
    dependencies=[UploadAdmitted],
)
async def upload_file(
    application_id: uuid.UUID,
    request: Request,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
    filename: Annotated[str, Query(max_length=255)],
    settings_for_intake: IntakeSettingsDep,
    kind: FileKind = FileKind.EVIDENCE,
) -> EvidenceOut:
    settings = runtime.settings
    async with runtime.reading() as session:  # record_upload checks again, under a lock
        slot = await service.reserve_upload(
            session,
            actor=actor,
            application_id=application_id,
            max_file_bytes=settings.max_file_bytes,
            max_application_bytes=settings.max_application_bytes,
        )
    stored = await stream_upload(request, runtime.store, slot, kind)
    try:
        scan_status = await scan_stored(runtime.store, stored.key, settings_for_intake)
        async with runtime.transaction() as session:
            row = await service.record_upload(
                session,
                actor=actor,
                application_id=application_id,
                kind=kind,
                filename=clean_filename(filename),
                stored=stored,
                now=now,
                scan_status=scan_status,
            )
    except Exception:
        await runtime.store.delete(stored.key)
        raise
    return EvidenceOut.model_validate(row, from_attributes=True)


@router.delete(
    "/applications/{application_id}/files/{file_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="删除已上传的材料（草稿或退回修改时）",
)
async def delete_file(
    application_id: uuid.UUID, file_id: uuid.UUID, actor: CurrentPrincipal, runtime: RuntimeDep
) -> None:
    async with runtime.transaction() as session:
        key = await service.delete_evidence(
            session, actor=actor, application_id=application_id, file_id=file_id
        )
    await runtime.store.delete(key)


@router.get("/applications/{application_id}/certificate-line", summary="预览证书上印制的名称")
async def preview_certificate_line(
    application_id: uuid.UUID, actor: CurrentPrincipal, runtime: RuntimeDep
) -> CertificateLineOut:
    async with runtime.reading() as session:
        application = await service.load_for_actor(
            session, actor=actor, application_id=application_id
        )
    return CertificateLineOut(
        certificate_line=service.certificate_line(application),
        enterprise_name=str(application.form["enterprise_name"]),
        group_name=str(application.form["group_name"]),
        notice="证书将按此名称印制（企业名称须为公章上的全称）。确认无误后，提交时原样填写该名称。",
    )


IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=100, pattern=r"^[A-Za-z0-9_.:-]{1,100}$"),
]


@router.post("/applications/{application_id}/submit", summary="提交申报表（须确认证书名称）")
async def submit_application(
    application_id: uuid.UUID,
    body: SubmitIn,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
    correlation_id: CorrelationId,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationOut:
    async with runtime.transaction() as session:
        application = await service.load_for_actor(
            session, actor=actor, application_id=application_id, for_update=True
        )
        replay = await service.replayed_submission(
            session, actor=actor, application_id=application_id, key=idempotency_key
        )
        if replay is not None:
            return ApplicationOut.model_validate(replay)
        await service.submit_application(
            session,
            actor=actor,
            application=application,
            confirmed_line=body.confirm_certificate_line,
            now=now,
            correlation_id=correlation_id,
        )
        out = await _application_out(session, application)
        await service.remember_submission(
            session,
            actor=actor,
            application_id=application_id,
            key=idempotency_key,
            response=out.model_dump(mode="json"),
            now=now,
        )
        return out


@router.post("/applications/{application_id}/withdraw", summary="撤回申报（形式审查开始前）")
async def withdraw_application(
    application_id: uuid.UUID,
    body: WithdrawIn,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    correlation_id: CorrelationId,
) -> ApplicationOut:
    async with runtime.transaction() as session:
        application = await service.withdraw_application(
            session,
            actor=actor,
            application_id=application_id,
            reason=body.reason,
            correlation_id=correlation_id,
        )
        return await _application_out(session, application)


@router.get(
    "/applications/{application_id}/documents/{file_format}",
    summary="下载生成的申报表（docx 或 pdf）",
)
async def download_document(
    application_id: uuid.UUID,
    file_format: Literal["docx", "pdf"],
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
) -> StreamingResponse:
    async with runtime.reading() as session:
        application = await service.load_for_actor(
            session, actor=actor, application_id=application_id
        )
        document = await repository.document(
            session, application_id, application.revision, file_format
        )
    if document is None:
        raise NotFoundError("文件正在生成中，请稍后刷新。")
    filename = f"全国优秀质量管理小组申报表-{application.form['group_name']}.{file_format}"
    return StreamingResponse(
        runtime.store.iter_chunks(document.storage_key),
        media_type=document.content_type,
        headers=attachment_headers(filename, document.size),
    )


def attachment_headers(filename: str, size: int) -> dict[str, str]:
    """RFC 6266 with an ASCII fallback; nosniff so browsers never reinterpret the bytes."""
    return {
        "Content-Disposition": (
            f"attachment; filename=\"download\"; filename*=UTF-8''{quote(filename)}"
        ),
        "Content-Length": str(size),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }


async def _application_out(session: AsyncSession, application: Application) -> ApplicationOut:
    application_id = application.application_id
    return _application_view(
        application,
        evidence=await repository.evidence_of(session, application_id),
        documents=await repository.documents_of(session, application_id, application.revision),
        deliveries=await repository.delivery_records_of(session, application_id),
    )


def _application_view(
    application: Application,
    *,
    evidence: Sequence[EvidenceFileRow] = (),
    documents: Sequence[DocumentRow] = (),
    deliveries: Sequence[DeliveryRecord] = (),
) -> ApplicationOut:
    base = f"/api/applications/{application.application_id}/documents"
    status_value = ApplicationStatus(application.status)
    form = application.form
    return ApplicationOut(
        application_id=application.application_id,
        status=status_value.value,
        status_label=STATUS_LABELS[status_value],
        revision=application.revision,
        certificate_line=service.certificate_line(application),
        form=form,
        evidence=[EvidenceOut.model_validate(row, from_attributes=True) for row in evidence],
        documents=[
            DocumentOut(
                format=doc.format,
                revision=doc.revision,
                size=doc.size,
                sha256=doc.sha256,
                download_url=f"{base}/{doc.format}",
            )
            for doc in documents
        ],
        submitted_at=application.submitted_at,
        render_error=application.render_error,
        warnings=member_count_warnings(len(_members(form))),
        decision=_decision_out(application),
        group_registration_number=application.group_registration_number,
        topic_registration_number=application.topic_registration_number,
        deliveries=[
            DeliveryOut(
                channel=record.channel,
                recipient=record.recipient,
                template=record.template,
                status=record.status,
                status_label="已发送" if record.status == "sent" else "发送失败",
                reason=record.reason,
                reported_at=record.reported_at,
            )
            for record in deliveries
        ],
    )


def _members(form: dict[str, object]) -> list[object]:
    members = form.get("members")
    return members if isinstance(members, list) else []


def _decision_out(application: Application) -> DecisionOut | None:
    decision = application.decision
    if not decision:
        return None
    deadline = application.correction_deadline_at
    decision_type = str(decision["type"])
    reasons = decision.get("reasons")
    return DecisionOut(
        type=decision_type,
        label=STATUS_LABELS[DECISION_STATUSES[decision_type]],
        comment=str(decision.get("comment") or ""),
        reasons=reasons if isinstance(reasons, list) else [],
        correction_deadline_at=deadline,
        correction_deadline_text=f"{format_china_time(deadline)}（北京时间）" if deadline else None,
        revision=int(str(decision.get("revision") or 0)),
    )
