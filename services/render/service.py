"""Render's use cases: turn an event into stored documents and announce them.

Every document has a deterministic identity (subject, kind, revision) and storage key, so the
same event delivered twice, even under a new event id, yields one object and one row per format.
A document that cannot be rendered raises `UnrenderableDocumentError`; the subscriber records
the failure, announces `document.failed` once and dead-letters the message.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from sqlalchemy import func, select

from services.render.domain.errors import RenderError, TemplateKindUnknownError
from services.render.domain.tables import (
    KIND_LABELS,
    TABLE_KINDS,
    TableTemplate,
    fill_table,
    parse_template,
    template_to_data,
)
from services.render.models import (
    RenderedDocument,
    RenderFailure,
    TableTemplateVersion,
    messaging_tables,
)
from services.render.renderers import TEMPLATE_VERSION
from services.render.renderers.bundle import Format
from services.render.workers import RenderCall, RenderProcessLostError, RenderWorker
from shared.events import (
    ApplicationAwarded,
    ApplicationSubmitted,
    CampaignForwarded,
    DocumentFailed,
    DocumentRendered,
    Event,
    GroupRegistered,
    RenderedFile,
    TableRequested,
)
from shared.messaging.outbox import add_to_outbox

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from shared.events.render import SubjectType
    from shared.storage import ObjectStore

log = logging.getLogger(__name__)

CONTENT_TYPES: dict[Format, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
APPLICATION_FORM: Final = "application_form"
REGISTRATION_FORM: Final = "registration_form"
CERTIFICATE: Final = "certificate"
FORWARDED_NOTICE: Final = "forwarded_notice"
REGISTRATION_TEMPLATE_VERSION: Final = "registration_form/2023.1"
CERTIFICATE_TEMPLATE_VERSION: Final = "certificate/2023.1"
NOTICE_TEMPLATE_VERSION: Final = "forwarded_notice/2023.1"
MAX_REASON: Final = 500


@dataclass(frozen=True)
class DocumentSpec:
    """Who a document is about and which version of which template drew it."""

    subject_type: SubjectType
    subject_id: str
    kind: str
    revision: int
    template_version: str
    unit_id: str | None = None
    request_id: str | None = None


class UnrenderableDocumentError(Exception):
    """The renderer rejected this input; retrying cannot help."""

    def __init__(self, failure: DocumentFailed) -> None:
        super().__init__(failure.reason)
        self.failure = failure


def document_key(subject_id: str, kind: str, revision: int, file_format: str) -> str:
    """Deterministic: rendering the same revision again overwrites, never duplicates."""
    return f"documents/{subject_id}/{kind}/r{revision}.{file_format}"


async def render_application_form(
    session: AsyncSession, event: ApplicationSubmitted, *, worker: RenderWorker, store: ObjectStore
) -> None:
    """Also handles `application.resubmitted`: each revision is its own document."""
    spec = DocumentSpec(
        subject_type="application",
        subject_id=str(event.application_id),
        kind=APPLICATION_FORM,
        revision=event.revision,
        template_version=TEMPLATE_VERSION,
        unit_id=event.unit_id,
    )
    await _render_and_store(
        session, event, spec, RenderCall("application_form", (event.form,)), worker, store
    )


async def render_registration_form(
    session: AsyncSession, event: GroupRegistered, *, worker: RenderWorker, store: ObjectStore
) -> None:
    spec = DocumentSpec(
        subject_type="group",
        subject_id=event.group_id,
        kind=REGISTRATION_FORM,
        revision=event.year,
        template_version=REGISTRATION_TEMPLATE_VERSION,
        unit_id=event.unit_id,
    )
    call = RenderCall("registration_form", (event,))
    await _render_and_store(session, event, spec, call, worker, store)


async def render_certificate(
    session: AsyncSession, event: ApplicationAwarded, *, worker: RenderWorker, store: ObjectStore
) -> None:
    spec = DocumentSpec(
        subject_type="certificate",
        subject_id=event.certificate_serial,
        kind=CERTIFICATE,
        revision=1,
        template_version=CERTIFICATE_TEMPLATE_VERSION,
        unit_id=event.unit_id,
    )
    call = RenderCall("certificate", (event,))
    await _render_and_store(session, event, spec, call, worker, store)


async def render_forwarded_notice(
    session: AsyncSession, event: CampaignForwarded, *, worker: RenderWorker, store: ObjectStore
) -> None:
    spec = DocumentSpec(
        subject_type="notice",
        subject_id=f"{event.unit_id}-{event.campaign_year}",
        kind=FORWARDED_NOTICE,
        revision=1,
        template_version=NOTICE_TEMPLATE_VERSION,
        unit_id=event.unit_id,
    )
    call = RenderCall("forwarded_notice", (event,))
    await _render_and_store(session, event, spec, call, worker, store)


async def render_table(
    session: AsyncSession, event: TableRequested, *, worker: RenderWorker, store: ObjectStore
) -> None:
    version, template = await current_table_template(session, kind=event.table_kind)
    spec = DocumentSpec(
        subject_type="unit_table",
        subject_id=event.request_id,
        kind=event.table_kind,
        revision=1,
        template_version=f"{event.table_kind}/v{version}",
        unit_id=event.unit_id,
        request_id=event.request_id,
    )

    try:
        filled = fill_table(
            template,
            unit_name=event.unit_name,
            year=event.campaign_year,
            header=event.header,
            rows=event.rows,
            footer=event.footer,
        )
    except RenderError as exc:
        raise UnrenderableDocumentError(_failure(event, spec, exc)) from exc
    call = RenderCall("table", (filled, event.formats))
    await _render_and_store(session, event, spec, call, worker, store)


async def current_table_template(session: AsyncSession, *, kind: str) -> tuple[int, TableTemplate]:
    if kind not in TABLE_KINDS:
        raise TemplateKindUnknownError(
            f"表格类型 {kind!r} 不存在，可选：{'、'.join(TABLE_KINDS)}。"
        )
    row = await session.scalar(
        select(TableTemplateVersion)
        .where(TableTemplateVersion.kind == kind)
        .order_by(TableTemplateVersion.version.desc())
        .limit(1)
    )
    if row is None:
        raise TemplateKindUnknownError(f"表格类型 {kind} 还没有模板，请先上传。")
    return row.version, parse_template(kind, json.loads(row.definition))


async def upload_table_template(
    session: AsyncSession, *, kind: str, definition: object, uploaded_by: str, now: datetime
) -> dict[str, object]:
    """Validate and store the next version; later requests render with it."""
    template = parse_template(kind, definition)
    latest = await session.scalar(
        select(func.max(TableTemplateVersion.version)).where(TableTemplateVersion.kind == kind)
    )
    version = (latest or 0) + 1
    session.add(
        TableTemplateVersion(
            kind=kind,
            version=version,
            definition=json.dumps(template_to_data(template), ensure_ascii=False),
            created_by=uploaded_by,
            created_at=now,
        )
    )
    await session.flush()
    return describe_template(kind, version, template)


async def show_table_template(session: AsyncSession, *, kind: str) -> dict[str, object]:
    version, template = await current_table_template(session, kind=kind)
    return describe_template(kind, version, template)


def describe_template(kind: str, version: int, template: TableTemplate) -> dict[str, object]:
    return {
        "kind": kind,
        "name": KIND_LABELS[kind],
        "version": version,
        "template_version": f"{kind}/v{version}",
        "definition": template_to_data(template),
    }


async def record_failure(session: AsyncSession, failure: DocumentFailed) -> None:
    """Announce `document.failed` once per document, however often its event comes back."""
    already = await session.scalar(
        select(RenderFailure.failure_id).where(
            RenderFailure.subject_id == failure.subject_id,
            RenderFailure.document_kind == failure.document_kind,
            RenderFailure.revision == failure.revision,
        )
    )
    if already is not None:
        return
    session.add(
        RenderFailure(
            subject_id=failure.subject_id,
            document_kind=failure.document_kind,
            revision=failure.revision,
            reason=failure.reason,
            failed_at=datetime.now(UTC),
        )
    )
    await add_to_outbox(session, messaging_tables, failure)


async def _render_and_store(
    session: AsyncSession,
    event: Event,
    spec: DocumentSpec,
    call: RenderCall,
    worker: RenderWorker,
    store: ObjectStore,
) -> None:
    if await _already_rendered(session, spec):
        return
    try:
        outputs = await worker.render(call)
    except RenderProcessLostError:
        raise  # not the document's fault: retried like any transient error
    except RenderError as exc:  # bad data, explained in the failure's reason
        log.warning("cannot render %s of %s: %s", spec.kind, spec.subject_id, exc.message)
        raise UnrenderableDocumentError(_failure(event, spec, exc)) from exc
    except Exception as exc:
        log.exception("cannot render %s of %s r%s", spec.kind, spec.subject_id, spec.revision)
        raise UnrenderableDocumentError(_failure(event, spec, exc)) from exc
    files = [await _upload(store, spec, file_format, data) for file_format, data in outputs.items()]
    session.add_all(_document_row(spec, file) for file in files)
    await add_to_outbox(
        session,
        messaging_tables,
        DocumentRendered(
            campaign_id=event.campaign_id,
            correlation_id=event.correlation_id,
            causation_id=str(event.event_id),
            subject_type=spec.subject_type,
            subject_id=spec.subject_id,
            document_kind=spec.kind,
            revision=spec.revision,
            template_version=spec.template_version,
            files=tuple(files),
            unit_id=spec.unit_id,
            request_id=spec.request_id,
        ),
    )


def _failure(event: Event, spec: DocumentSpec, exc: Exception) -> DocumentFailed:
    reason = getattr(exc, "message", None) or repr(exc)
    return DocumentFailed(
        campaign_id=event.campaign_id,
        correlation_id=event.correlation_id,
        causation_id=str(event.event_id),
        subject_type=spec.subject_type,
        subject_id=spec.subject_id,
        document_kind=spec.kind,
        revision=spec.revision,
        reason=str(reason)[:MAX_REASON],
        unit_id=spec.unit_id,
        request_id=spec.request_id,
    )


async def _already_rendered(session: AsyncSession, spec: DocumentSpec) -> bool:
    query = (
        select(RenderedDocument.document_id)
        .where(
            RenderedDocument.subject_id == spec.subject_id,
            RenderedDocument.revision == spec.revision,
            RenderedDocument.document_kind == spec.kind,
        )
        .limit(1)
    )
    return (await session.execute(query)).first() is not None


async def _upload(
    store: ObjectStore, spec: DocumentSpec, file_format: Format, data: bytes
) -> RenderedFile:
    key = document_key(spec.subject_id, spec.kind, spec.revision, file_format)
    stored = await store.put_bytes(key, data, content_type=CONTENT_TYPES[file_format])
    return RenderedFile(
        format=file_format,
        storage_key=key,
        sha256=stored.sha256,
        size=stored.size,
        content_type=stored.content_type,
    )


def _document_row(spec: DocumentSpec, file: RenderedFile) -> RenderedDocument:
    return RenderedDocument(
        subject_type=spec.subject_type,
        subject_id=spec.subject_id,
        document_kind=spec.kind,
        revision=spec.revision,
        format=file.format,
        storage_key=file.storage_key,
        sha256=file.sha256,
        size=file.size,
        template_version=spec.template_version,
        rendered_at=datetime.now(UTC),
    )
