"""Uploading the package's documents: stream to object storage, check, then record.

The bytes are streamed to storage outside any transaction (size-limited), checked there, and
deleted again when refused, so a refused upload changes nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from services.review import package_service
from services.review.domain import package_documents as documents
from services.review.domain.errors import InvalidInputError, ReviewError, StateConflictError
from services.review.package_service import PackageView
from shared.auth import Principal
from shared.runtime import Runtime
from shared.storage import ObjectNotFoundError, ObjectTooLargeError, StoredObject

MAX_SCAN_BYTES = 30 * 1024 * 1024
MAX_SUMMARY_BYTES = 20 * 1024 * 1024
PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def _store(
    runtime: Runtime,
    key: str,
    chunks: AsyncIterator[bytes],
    *,
    content_type: str,
    max_bytes: int,
    label: str,
) -> StoredObject:
    try:
        stored = await runtime.store.put_stream(
            key, chunks, content_type=content_type, max_bytes=max_bytes
        )
    except ObjectTooLargeError as exc:
        limit_mb = max_bytes // (1024 * 1024)
        raise _TooLargeError(f"{label}：文件超过 {limit_mb} MB 上限，请压缩后重新上传。") from exc
    if stored.size == 0:
        await runtime.store.delete(stored.key)
        raise InvalidInputError(f"{label}：上传的文件是空的，请重新选择文件。")
    return stored


class _TooLargeError(ReviewError):
    status_code = 413


def _key(unit_id: str, campaign_id: str, name: str) -> str:
    return f"packages/{unit_id}/{campaign_id}/{name}-{uuid.uuid4().hex}"


def _description(stored: StoredObject, filename: str, **extra: Any) -> dict[str, Any]:  # noqa: ANN401 - JSON values
    return {
        "storage_key": stored.key,
        "sha256": stored.sha256,
        "size": stored.size,
        "filename": filename,
        "content_type": stored.content_type,
        **extra,
    }


async def upload_scan(
    runtime: Runtime,
    *,
    actor: Principal,
    unit_id: str,
    campaign_id: str,
    chunks: AsyncIterator[bytes],
    filename: str,
    now: datetime,
) -> tuple[PackageView, str]:
    """The sealed 推荐表 scan, checked against the current rendered version of the table."""
    async with runtime.transaction() as session:
        target = await package_service.scan_target(
            session, actor=actor, unit_id=unit_id, campaign_id=campaign_id, now=now
        )
    stored = await _store(
        runtime,
        _key(unit_id, campaign_id, "recommendation-scan") + ".pdf",
        chunks,
        content_type=PDF_TYPE,
        max_bytes=MAX_SCAN_BYTES,
        label="推荐表盖章扫描件",
    )
    try:
        scan = await runtime.store.get_bytes(stored.key)
        generated = await _generated_table(runtime, target)
        check = await asyncio.to_thread(_check_scan, scan, generated, target)
        description = _description(
            stored,
            filename,
            table_request_id=target.table_request_id,
            version_code=target.code,
            pages=check.pages,
            has_text=check.has_text,
            note=check.note,
        )
        async with runtime.transaction() as session:
            view = await package_service.record_upload(
                session,
                actor=actor,
                unit_id=unit_id,
                campaign_id=campaign_id,
                part="recommendation_scan",
                description=description,
                now=now,
            )
    except Exception:
        await runtime.store.delete(stored.key)
        raise
    return view, check.note


async def _generated_table(runtime: Runtime, target: package_service.ScanTarget) -> bytes:
    try:
        return await runtime.store.get_bytes(target.table_pdf_key)
    except ObjectNotFoundError as exc:
        raise StateConflictError(
            "推荐表：生成的 PDF 文件已不在存储中，请重新生成推荐表后再上传扫描件。"
        ) from exc


def _check_scan(
    scan: bytes, generated: bytes, target: package_service.ScanTarget
) -> documents.ScanCheck:
    documents.ensure_pdf(scan[: len(documents.PDF_MAGIC)])
    return documents.check_scan(
        scan,
        expected_pages=documents.pdf_page_count(generated),
        unit_name=target.unit_name,
        code=target.code,
    )


async def upload_work_summary(
    runtime: Runtime,
    *,
    actor: Principal,
    unit_id: str,
    campaign_id: str,
    chunks: AsyncIterator[bytes],
    filename: str,
    now: datetime,
) -> PackageView:
    """The 工作总结 .docx: a real Word document carrying every required heading."""
    async with runtime.transaction() as session:
        await package_service.ensure_may_upload(
            session, actor=actor, unit_id=unit_id, campaign_id=campaign_id, now=now
        )
    stored = await _store(
        runtime,
        _key(unit_id, campaign_id, "work-summary") + ".docx",
        chunks,
        content_type=DOCX_TYPE,
        max_bytes=MAX_SUMMARY_BYTES,
        label="工作总结",
    )
    try:
        data = await runtime.store.get_bytes(stored.key)
        await asyncio.to_thread(documents.check_summary, data)
        async with runtime.transaction() as session:
            return await package_service.record_upload(
                session,
                actor=actor,
                unit_id=unit_id,
                campaign_id=campaign_id,
                part="work_summary",
                description=_description(stored, filename),
                now=now,
            )
    except Exception:
        await runtime.store.delete(stored.key)
        raise


async def work_summary_outline(
    runtime: Runtime, *, actor: Principal, unit_id: str, campaign_id: str
) -> bytes:
    async with runtime.transaction() as session:
        package_service.ensure_may_read(actor, unit_id)
        unit = await package_service.unit_of(session, unit_id, campaign_id)
    return documents.summary_outline(unit_name=unit.unit_name, year=unit.campaign_year)
