"""Use cases of resumable uploads: start, accept chunks at the right offset, complete."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import service
from services.intake.domain.errors import (
    ConflictError,
    FileTooLargeError,
    ForbiddenError,
    InvalidFieldError,
    NotFoundError,
)
from services.intake.domain.files import FileKind
from services.intake.models import EvidenceFileRow, UploadSession
from services.intake.service import UploadSlot
from shared.auth import Principal


@dataclass(frozen=True)
class UploadStart:
    application_id: uuid.UUID
    kind: FileKind
    filename: str
    declared_type: str
    size: int
    sha256: str


async def start_upload(
    session: AsyncSession,
    *,
    actor: Principal,
    start: UploadStart,
    max_file_bytes: int,
    max_application_bytes: int,
    now: datetime,
) -> UploadSession:
    slot = await service.reserve_upload(
        session,
        actor=actor,
        application_id=start.application_id,
        max_file_bytes=max_file_bytes,
        max_application_bytes=max_application_bytes,
    )
    if start.size > slot.max_bytes:
        raise FileTooLargeError(
            f"文件大小：{start.size} 字节超过本次可上传的上限 {slot.max_bytes} 字节，"
            "请压缩或拆分后重新上传。"
        )
    upload = UploadSession(
        upload_id=uuid.uuid4(),
        application_id=start.application_id,
        owner_user_id=actor.user_id,
        kind=start.kind.value,
        filename=start.filename,
        declared_type=start.declared_type,
        size=start.size,
        sha256=start.sha256.lower(),
        received=0,
        chunk_keys=[],
        created_at=now,
    )
    session.add(upload)
    await session.flush()
    return upload


async def load_upload(
    session: AsyncSession, *, actor: Principal, upload_id: uuid.UUID, for_update: bool = False
) -> UploadSession:
    query = select(UploadSession).where(UploadSession.upload_id == upload_id)
    if for_update:
        query = query.with_for_update()
    upload = (await session.execute(query)).scalar_one_or_none()
    if upload is None:
        raise NotFoundError("上传会话不存在，请重新开始上传。")
    if upload.owner_user_id != actor.user_id:
        raise ForbiddenError("无权访问该上传会话。")
    return upload


async def chunk_slot(
    session: AsyncSession,
    *,
    actor: Principal,
    upload_id: uuid.UUID,
    offset: int,
    max_chunk_bytes: int,
) -> UploadSlot:
    upload = await load_upload(session, actor=actor, upload_id=upload_id)
    _ensure_open(upload)
    _ensure_offset(upload, offset)
    remaining = upload.size - upload.received
    if remaining <= 0:
        raise ConflictError("文件已全部上传，请调用“完成上传”。")
    key = f"uploads/{upload_id}/{uuid.uuid4()}"
    return UploadSlot(storage_key=key, max_bytes=min(max_chunk_bytes, remaining))


async def record_chunk(
    session: AsyncSession,
    *,
    actor: Principal,
    upload_id: uuid.UUID,
    offset: int,
    key: str,
    size: int,
) -> UploadSession:
    upload = await load_upload(session, actor=actor, upload_id=upload_id, for_update=True)
    _ensure_offset(upload, offset)  # a concurrent retry may have taken this offset meanwhile
    upload.chunk_keys = [*upload.chunk_keys, key]
    upload.received += size
    return upload


def _ensure_offset(upload: UploadSession, offset: int) -> None:
    if offset != upload.received:
        raise ConflictError(
            f"上传位置：服务器已收到 {upload.received} 字节，请从该位置（offset={upload.received}）"
            "继续上传。"
        )


def _ensure_open(upload: UploadSession) -> None:
    if upload.completed_file_id is not None:
        raise ConflictError("该上传已完成，无需再上传。")


async def completion_slot(
    session: AsyncSession,
    *,
    actor: Principal,
    upload_id: uuid.UUID,
    max_file_bytes: int,
    max_application_bytes: int,
) -> tuple[UploadSession, UploadSlot]:
    upload = await load_upload(session, actor=actor, upload_id=upload_id)
    _ensure_open(upload)
    if upload.received != upload.size:
        raise ConflictError(
            f"文件尚未传完：已收到 {upload.received} / {upload.size} 字节，请继续上传后再完成。"
        )
    slot = await service.reserve_upload(
        session,
        actor=actor,
        application_id=upload.application_id,
        max_file_bytes=max_file_bytes,
        max_application_bytes=max_application_bytes,
    )
    return upload, slot


def ensure_sha256_matches(upload: UploadSession, actual: str) -> None:
    if actual != upload.sha256:
        raise InvalidFieldError(
            "sha256：拼接后的文件校验值与开始上传时声明的不一致，文件可能在传输中损坏，请重新上传。"
        )


async def mark_completed(
    session: AsyncSession, *, actor: Principal, upload_id: uuid.UUID, row: EvidenceFileRow
) -> list[str]:
    """Link the upload to its evidence file; returns the chunk keys now safe to delete."""
    upload = await load_upload(session, actor=actor, upload_id=upload_id, for_update=True)
    _ensure_open(upload)
    upload.completed_file_id = row.file_id
    return list(upload.chunk_keys)
