"""Resumable uploads: start a session, PUT chunks at offsets, resume after a drop, complete."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.intake import resumable, service
from services.intake.domain.files import FileKind
from services.intake.domain.upload_throttle import UploadThrottle
from services.intake.models import UploadSession
from services.intake.schemas import EvidenceOut
from services.intake.settings import IntakeSettings
from services.intake.uploads import clean_filename, scan_stored, store_checked, too_large
from shared.http import CurrentPrincipal, Now, RuntimeDep
from shared.storage import ObjectStore, ObjectTooLargeError

router = APIRouter(prefix="/api", tags=["可续传上传"])


async def intake_settings(request: Request) -> IntakeSettings:
    settings: IntakeSettings = request.app.state.intake_settings
    return settings


IntakeSettingsDep = Annotated[IntakeSettings, Depends(intake_settings)]


async def admit_upload(request: Request, actor: CurrentPrincipal, now: Now) -> None:
    """Refuse (429) before a byte of the body is read when this account uploads too often."""
    throttle: UploadThrottle = request.app.state.upload_throttle
    throttle.admit(actor.user_id, now)


UploadAdmitted = Depends(admit_upload)


class UploadStartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    kind: FileKind = FileKind.EVIDENCE
    size: int = Field(gt=0)
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]
    content_type: Annotated[str, StringConstraints(max_length=120)] = ""


class UploadSessionOut(BaseModel):
    upload_id: uuid.UUID
    offset: int
    size: int
    chunk_bytes: int
    is_complete: bool


def _session_out(upload: UploadSession, chunk_bytes: int) -> UploadSessionOut:
    return UploadSessionOut(
        upload_id=upload.upload_id,
        offset=upload.received,
        size=upload.size,
        chunk_bytes=chunk_bytes,
        is_complete=upload.completed_file_id is not None,
    )


@router.post(
    "/applications/{application_id}/uploads",
    status_code=status.HTTP_201_CREATED,
    dependencies=[UploadAdmitted],
    summary="开始可续传上传（声明大小与 sha256）",
)
async def start_upload(
    application_id: uuid.UUID,
    body: UploadStartIn,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    settings: IntakeSettingsDep,
    now: Now,
) -> UploadSessionOut:
    start = resumable.UploadStart(
        application_id=application_id,
        kind=body.kind,
        filename=clean_filename(body.filename),
        declared_type=body.content_type,
        size=body.size,
        sha256=body.sha256,
    )
    async with runtime.transaction() as session:
        upload = await resumable.start_upload(
            session,
            actor=actor,
            start=start,
            max_file_bytes=runtime.settings.max_file_bytes,
            max_application_bytes=runtime.settings.max_application_bytes,
            now=now,
        )
        return _session_out(upload, settings.upload_chunk_bytes)


@router.get("/uploads/{upload_id}", summary="查询已收到的字节数（断线后从此处续传）")
async def upload_progress(
    upload_id: uuid.UUID, actor: CurrentPrincipal, runtime: RuntimeDep, settings: IntakeSettingsDep
) -> UploadSessionOut:
    async with runtime.transaction() as session:
        upload = await resumable.load_upload(session, actor=actor, upload_id=upload_id)
        return _session_out(upload, settings.upload_chunk_bytes)


@router.put("/uploads/{upload_id}", summary="上传一段（请求体即该段内容，offset 为起始字节）")
async def put_chunk(
    upload_id: uuid.UUID,
    request: Request,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    settings: IntakeSettingsDep,
    offset: Annotated[int, Query(ge=0)],
) -> UploadSessionOut:
    async with runtime.transaction() as session:
        slot = await resumable.chunk_slot(
            session,
            actor=actor,
            upload_id=upload_id,
            offset=offset,
            max_chunk_bytes=settings.upload_chunk_bytes,
        )
    try:
        stored = await runtime.store.put_stream(
            slot.storage_key,
            request.stream(),
            content_type="application/octet-stream",
            max_bytes=slot.max_bytes,
        )
    except ObjectTooLargeError as exc:
        raise too_large(slot.max_bytes) from exc
    try:
        async with runtime.transaction() as session:
            upload = await resumable.record_chunk(
                session,
                actor=actor,
                upload_id=upload_id,
                offset=offset,
                key=stored.key,
                size=stored.size,
            )
    except Exception:
        await runtime.store.delete(stored.key)
        raise
    return _session_out(upload, settings.upload_chunk_bytes)


async def _joined(store: ObjectStore, keys: Iterable[str]) -> AsyncIterator[bytes]:
    for key in keys:
        async for chunk in store.iter_chunks(key):
            yield chunk


@router.post(
    "/uploads/{upload_id}/complete",
    status_code=status.HTTP_201_CREATED,
    summary="完成上传：拼接、校验 sha256 与文件类型、病毒扫描",
)
async def complete_upload(
    upload_id: uuid.UUID,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    settings: IntakeSettingsDep,
    now: Now,
) -> EvidenceOut:
    store = runtime.store
    async with runtime.transaction() as session:
        upload, slot = await resumable.completion_slot(
            session,
            actor=actor,
            upload_id=upload_id,
            max_file_bytes=runtime.settings.max_file_bytes,
            max_application_bytes=runtime.settings.max_application_bytes,
        )
    kind = FileKind(upload.kind)
    chunks = _joined(store, upload.chunk_keys)
    stored = await store_checked(store, slot, chunks, kind, upload.declared_type)
    try:
        resumable.ensure_sha256_matches(upload, stored.sha256)
        scan_status = await scan_stored(store, stored.key, settings)
        async with runtime.transaction() as session:
            row = await service.record_upload(
                session,
                actor=actor,
                application_id=upload.application_id,
                kind=kind,
                filename=upload.filename,
                stored=stored,
                now=now,
                scan_status=scan_status,
            )
            chunk_keys = await resumable.mark_completed(
                session, actor=actor, upload_id=upload_id, row=row
            )
    except Exception:
        await store.delete(stored.key)
        raise
    for key in chunk_keys:
        await store.delete(key)
    return EvidenceOut.model_validate(row, from_attributes=True)
