"""Events published by render."""

from __future__ import annotations

from typing import Literal

from shared.events.base import Event
from shared.events.intake import Record

SubjectType = Literal["application", "group", "unit_table", "certificate", "notice"]


class RenderedFile(Record):
    format: Literal["docx", "pdf", "xlsx"]
    storage_key: str
    sha256: str
    size: int
    content_type: str


class DocumentRendered(Event):
    """Documents stored; `document_kind` e.g. application_form, registration_form, certificate."""

    type: Literal["document.rendered"] = "document.rendered"
    subject_type: SubjectType
    subject_id: str
    document_kind: str
    revision: int
    template_version: str
    files: tuple[RenderedFile, ...]
    unit_id: str | None = None
    request_id: str | None = None


class DocumentFailed(Event):
    type: Literal["document.failed"] = "document.failed"
    subject_type: SubjectType
    subject_id: str
    document_kind: str
    revision: int
    reason: str
    unit_id: str | None = None
    request_id: str | None = None
