"""Which uploaded files are accepted, judged by their content (magic bytes), not their name."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import filetype

from services.intake.domain.errors import InvalidFileError


class FileKind(StrEnum):
    SEALED_FORM = "sealed_form"
    REPORT = "report"
    EVIDENCE = "evidence"


FILE_KIND_LABELS = {
    FileKind.SEALED_FORM: "盖章申报表（PDF）",
    FileKind.REPORT: "成果报告（Word）",
    FileKind.EVIDENCE: "证实性材料",
}

ALLOWED_TYPES: dict[FileKind, frozenset[str]] = {
    FileKind.SEALED_FORM: frozenset({"pdf"}),
    FileKind.REPORT: frozenset({"docx"}),
    FileKind.EVIDENCE: frozenset({"pdf", "jpg", "png", "docx", "xlsx"}),
}

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


ZIP_BASED = frozenset({"docx", "xlsx"})
GENERIC_DECLARED_TYPES = frozenset({"", "application/octet-stream"})
# What sniffing reads of a file: its type and any markup near its start.
SNIFF_BYTES = 8192
# Markup a browser would render; a "PDF" or image carrying it near its start is a polyglot.
_MARKUP = (b"<html", b"<script", b"<!doctype html", b"<svg", b"<body", b"<iframe", b"javascript:")


@dataclass(frozen=True)
class SniffedType:
    extension: str
    content_type: str


def sniff(head: bytes, kind: FileKind) -> SniffedType:
    """Decide the real type from the first bytes; refuse what this kind does not allow."""
    allowed = ALLOWED_TYPES[kind]
    if not head:
        raise InvalidFileError("文件为空，请选择有内容的文件重新上传。")
    guess = filetype.guess(head)
    extension = guess.extension if guess else None
    if extension not in allowed:
        names = "、".join(sorted(allowed))
        found = extension or "无法识别"
        raise InvalidFileError(
            f"{FILE_KIND_LABELS[kind]}只接受 {names} 格式，"
            f"上传文件的实际内容为“{found}”，请转换后重新上传。"
        )
    _ensure_no_markup(head)
    return SniffedType(extension, CONTENT_TYPES[extension])


def _ensure_no_markup(head: bytes) -> None:
    lowered = head[:SNIFF_BYTES].lower()
    if any(marker in lowered for marker in _MARKUP):
        raise InvalidFileError(
            "文件中夹带网页代码（HTML/脚本），为安全起见不予接收。请从原始文档重新导出后上传。"
        )


def ensure_declared_type_matches(declared: str, sniffed: SniffedType) -> None:
    """A declared Content-Type that contradicts the content means a mislabelled file."""
    media_type = declared.split(";", 1)[0].strip().lower()
    if media_type in GENERIC_DECLARED_TYPES or media_type == sniffed.content_type:
        return
    raise InvalidFileError(
        f"文件声明的类型“{media_type}”与实际内容（{sniffed.extension}）不符，"
        "请确认选择了正确的文件后重新上传。"
    )
