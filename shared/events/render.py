"""Events published by render."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.events.base import Event


class RenderedFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    format: Literal["docx", "pdf", "xlsx"]
    storage_key: str
    sha256: str
    size: int
    content_type: str


class DocumentRendered(Event):
    type: Literal["document.rendered"] = "document.rendered"
    subject_type: Literal["application"]
    subject_id: str
    document_kind: Literal["application_form"]
    revision: int
    template_version: str
    files: tuple[RenderedFile, ...]


class DocumentFailed(Event):
    type: Literal["document.failed"] = "document.failed"
    subject_type: Literal["application"]
    subject_id: str
    document_kind: Literal["application_form"]
    revision: int
    reason: str
