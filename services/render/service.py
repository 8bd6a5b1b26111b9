"""Render's use cases: turn an event into stored documents and announce them."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.render.models import RenderedDocument, messaging_tables
from services.render.renderers import TEMPLATE_VERSION
from services.render.renderers.docx import render_application_form_docx
from services.render.renderers.pdf import PdfRenderer
from shared.events import (
    ApplicationForm,
    ApplicationSubmitted,
    DocumentFailed,
    DocumentRendered,
    RenderedFile,
)
from shared.messaging.outbox import add_to_outbox
from shared.storage import ObjectStore

log = logging.getLogger(__name__)

Format = Literal["docx", "pdf"]
CONTENT_TYPES: dict[Format, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
APPLICATION_FORM: Final = "application_form"


@dataclass(frozen=True)
class Renderers:
    pdf: PdfRenderer

    def application_form(self, form: ApplicationForm) -> dict[Format, bytes]:
        return {
            "pdf": self.pdf.render_application_form(form),
            "docx": render_application_form_docx(form),
        }


def document_key(subject_id: str, kind: str, revision: int, file_format: str) -> str:
    """Deterministic: rendering the same revision again overwrites, never duplicates."""
    return f"documents/{subject_id}/{kind}/r{revision}.{file_format}"


async def render_application_form(
    session: AsyncSession, event: ApplicationSubmitted, *, renderers: Renderers, store: ObjectStore
) -> None:
    subject_id = str(event.application_id)
    if await _already_rendered(session, subject_id, event.revision):
        return
    try:
        outputs = await asyncio.to_thread(renderers.application_form, event.form)
    except Exception as exc:
        log.exception("cannot render application form %s r%s", subject_id, event.revision)
        await add_to_outbox(
            session,
            messaging_tables,
            DocumentFailed(
                campaign_id=event.campaign_id,
                correlation_id=event.correlation_id,
                causation_id=str(event.event_id),
                subject_type="application",
                subject_id=subject_id,
                document_kind=APPLICATION_FORM,
                revision=event.revision,
                reason=repr(exc)[:500],
            ),
        )
        return
    files = [
        await _store(session, store, subject_id, event.revision, file_format, data)
        for file_format, data in outputs.items()
    ]
    await add_to_outbox(
        session,
        messaging_tables,
        DocumentRendered(
            campaign_id=event.campaign_id,
            correlation_id=event.correlation_id,
            causation_id=str(event.event_id),
            subject_type="application",
            subject_id=subject_id,
            document_kind=APPLICATION_FORM,
            revision=event.revision,
            template_version=TEMPLATE_VERSION,
            files=tuple(files),
        ),
    )


async def _already_rendered(session: AsyncSession, subject_id: str, revision: int) -> bool:
    query = (
        select(RenderedDocument.document_id)
        .where(
            RenderedDocument.subject_id == subject_id,
            RenderedDocument.revision == revision,
            RenderedDocument.document_kind == APPLICATION_FORM,
        )
        .limit(1)
    )
    return (await session.execute(query)).first() is not None


async def _store(
    session: AsyncSession,
    store: ObjectStore,
    subject_id: str,
    revision: int,
    file_format: Format,
    data: bytes,
) -> RenderedFile:
    key = document_key(subject_id, APPLICATION_FORM, revision, file_format)
    stored = await store.put_bytes(key, data, content_type=CONTENT_TYPES[file_format])
    session.add(
        RenderedDocument(
            subject_type="application",
            subject_id=subject_id,
            document_kind=APPLICATION_FORM,
            revision=revision,
            format=file_format,
            storage_key=key,
            sha256=stored.sha256,
            size=stored.size,
            template_version=TEMPLATE_VERSION,
            rendered_at=datetime.now(UTC),
        )
    )
    return RenderedFile(
        format=file_format,
        storage_key=key,
        sha256=stored.sha256,
        size=stored.size,
        content_type=stored.content_type,
    )
