"""Streaming an upload into object storage: size cap first, type by content, never spooled."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator

from starlette.requests import Request

from services.intake.domain.errors import FileTooLargeError, InvalidFileError
from services.intake.domain.files import (
    SNIFF_BYTES,
    ZIP_BASED,
    FileKind,
    ensure_declared_type_matches,
    sniff,
)
from services.intake.domain.scanning import ScanStatus
from services.intake.domain.zip_directory import TAIL_BYTES, ensure_safe_office_zip
from services.intake.scanner import scan_stream
from services.intake.service import UploadSlot
from services.intake.settings import IntakeSettings
from shared.storage import ObjectStore, ObjectTooLargeError, StoredObject

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


def declared_size(request: Request) -> int | None:
    declared = request.headers.get("content-length", "")
    return int(declared) if declared.isdecimal() else None


def ensure_declared_size_fits(request: Request, limit: int) -> None:
    declared = declared_size(request)
    if declared is not None and declared > limit:
        raise too_large(limit)


class _Tail:
    """Remembers the last `keep` bytes streamed through it, where a zip keeps its directory.

    Other types keep none: copying every upload's last MiB costs intake CPU for nothing.
    """

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._buffer = bytearray()

    @property
    def data(self) -> bytes:
        return bytes(self._buffer[-self.keep :])

    async def through(self, head: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        self._remember(head)
        yield head
        async for chunk in rest:
            self._remember(chunk)
            yield chunk

    def _remember(self, chunk: bytes) -> None:
        if not self.keep:
            return
        self._buffer.extend(chunk)
        if len(self._buffer) > 2 * self.keep:  # trim rarely: amortised O(1) per byte
            del self._buffer[: -self.keep]


async def stream_upload(
    request: Request, store: ObjectStore, slot: UploadSlot, kind: FileKind
) -> StoredObject:
    """Store the request body under the slot's key; nothing is left behind on refusal."""
    ensure_declared_size_fits(request, slot.max_bytes)
    declared_type = request.headers.get("content-type", "")
    size = declared_size(request)
    return await store_checked(store, slot, request.stream(), kind, declared_type, size=size)


async def store_checked(
    store: ObjectStore,
    slot: UploadSlot,
    chunks: AsyncIterator[bytes],
    kind: FileKind,
    declared_type: str,
    *,
    size: int | None = None,
) -> StoredObject:
    head = b""
    async for chunk in chunks:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    if len(head) > slot.max_bytes:
        raise too_large(slot.max_bytes)
    sniffed = sniff(head, kind)
    ensure_declared_type_matches(declared_type, sniffed)
    tail = _Tail(TAIL_BYTES if sniffed.extension in ZIP_BASED else 0)
    try:
        stored = await store.put_stream(
            slot.storage_key,
            tail.through(head, chunks),
            content_type=sniffed.content_type,
            max_bytes=slot.max_bytes,
            size=size,
        )
    except ObjectTooLargeError as exc:
        raise too_large(slot.max_bytes) from exc
    if sniffed.extension in ZIP_BASED:
        try:
            ensure_safe_office_zip(tail.data, stored.size)
        except InvalidFileError:
            await store.delete(stored.key)
            raise
    return stored


async def scan_stored(store: ObjectStore, key: str, settings: IntakeSettings) -> ScanStatus:
    """Scan what was stored; an infected file is deleted and refused."""
    status = await scan_stream(settings, store.iter_chunks(key))
    if status is ScanStatus.INFECTED:
        await store.delete(key)
        raise InvalidFileError("病毒扫描发现该文件含有恶意代码，已拒收。请查杀病毒后重新上传。")
    return status
