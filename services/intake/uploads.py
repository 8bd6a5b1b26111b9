"""Streaming an upload body into object storage: size cap first, type by content, never spooled."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator

from starlette.requests import Request

from services.intake.domain.errors import FileTooLargeError, InvalidFileError
from services.intake.domain.files import FileKind, sniff
from services.intake.service import UploadSlot
from shared.storage import ObjectStore, ObjectTooLargeError, StoredObject

SNIFF_BYTES = 8192
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


def clean_filename(raw: str) -> str:
    name = unicodedata.normalize("NFC", raw).rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")[:200]
    if not name:
        raise InvalidFileError("文件名不能为空。")
    return name


def too_large(limit: int) -> FileTooLargeError:
    return FileTooLargeError(
        f"文件超过允许的大小（{limit / 1024 / 1024:.0f} MB），请压缩或拆分后重新上传。"
    )


def ensure_declared_size_fits(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)


async def _with_head(head: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield head
    async for chunk in rest:
        yield chunk


async def stream_upload(
    request: Request, store: ObjectStore, slot: UploadSlot, kind: FileKind
) -> StoredObject:
    """Store the request body under the slot's key; nothing is left behind on refusal."""
    ensure_declared_size_fits(request, slot.max_bytes)
    body = request.stream()
    head = b""
    async for chunk in body:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    if len(head) > slot.max_bytes:
        raise too_large(slot.max_bytes)
    sniffed = sniff(head, kind)
    try:
        return await store.put_stream(
            slot.storage_key,
            _with_head(head, body),
            content_type=sniffed.content_type,
            max_bytes=slot.max_bytes,
        )
    except ObjectTooLargeError as exc:
        raise too_large(slot.max_bytes) from exc
