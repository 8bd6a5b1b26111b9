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
    return SniffedType(extension, CONTENT_TYPES[extension])
