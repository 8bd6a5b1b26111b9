"""The intake HTTP API (thin: each route opens the transaction and calls one use case)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import repository, service
from services.intake.domain.application import STATUS_LABELS, ApplicationStatus
from services.intake.domain.errors import NotFoundError
from services.intake.domain.files import FileKind
from services.intake.models import Application
from services.intake.schemas import (
    ApplicationFormIn,
    ApplicationOut,
    DocumentOut,
    EvidenceOut,
    LoginIn,
    TokenOut,
)
from services.intake.uploads import clean_filename, stream_upload
from shared.auth import issue_token
from shared.http import CorrelationId, CurrentPrincipal, Now, RuntimeDep

router = APIRouter(prefix="/api", tags=["申报"])


@router.post("/login", summary="登录")
async def login(body: LoginIn, runtime: RuntimeDep) -> TokenOut:
    async with runtime.transaction() as session:
        user = await service.authenticate(session, username=body.username, password=body.password)
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
        return await _application_out(session, application)


@router.get("/applications", summary="本企业的申报表")
async def list_applications(actor: CurrentPrincipal, runtime: RuntimeDep) -> list[ApplicationOut]:
    async with runtime.transaction() as session:
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
    async with runtime.transaction() as session:
        application = await service.load_for_actor(
            session, actor=actor, application_id=application_id
        )
        return await _application_out(session, application)


@router.put("/applications/{application_id}", summary="修改草稿")
async def update_application(
    application_id: uuid.UUID, body: ApplicationFormIn, actor: CurrentPrincipal, runtime: RuntimeDep
) -> ApplicationOut:
    async with runtime.transaction() as session:
        application = await service.update_application(
            session, actor=actor, application_id=application_id, form=body
        )
        return await _application_out(session, application)


@router.post(
    "/applications/{application_id}/files",
    status_code=status.HTTP_201_CREATED,
    summary="上传材料（请求体即文件内容，流式写入存储）",
)
async def upload_file(
    application_id: uuid.UUID,
    request: Request,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
    filename: Annotated[str, Query(max_length=255)],
    kind: FileKind = FileKind.EVIDENCE,
) -> EvidenceOut:
    settings = runtime.settings
    async with runtime.transaction() as session:
        slot = await service.reserve_upload(
            session,
            actor=actor,
            application_id=application_id,
            max_file_bytes=settings.max_file_bytes,
            max_application_bytes=settings.max_application_bytes,
        )
    stored = await stream_upload(request, runtime.store, slot, kind)
    try:
        async with runtime.transaction() as session:
            row = await service.record_upload(
                session,
                actor=actor,
                application_id=application_id,
                kind=kind,
                filename=clean_filename(filename),
                stored=stored,
                now=now,
            )
    except Exception:
        await runtime.store.delete(stored.key)
        raise
    return EvidenceOut.model_validate(row, from_attributes=True)


@router.post("/applications/{application_id}/submit", summary="提交申报表")
async def submit_application(
    application_id: uuid.UUID,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
    correlation_id: CorrelationId,
) -> ApplicationOut:
    async with runtime.transaction() as session:
        application = await service.submit_application(
            session,
            actor=actor,
            application_id=application_id,
            now=now,
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
    async with runtime.transaction() as session:
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
    evidence = await repository.evidence_of(session, application.application_id)
    documents = await repository.documents_of(
        session, application.application_id, application.revision
    )
    base = f"/api/applications/{application.application_id}/documents"
    status_value = ApplicationStatus(application.status)
    form = application.form
    return ApplicationOut(
        application_id=application.application_id,
        status=status_value.value,
        status_label=STATUS_LABELS[status_value],
        revision=application.revision,
        certificate_line=f"{form['enterprise_name']} {form['group_name']}",
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
    )
