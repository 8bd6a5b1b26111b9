"""The package's uploaded documents: the sealed 推荐表 scan (PDF) and the 工作总结 (.docx)."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

import docx
from docx.opc.exceptions import OpcError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from services.review.domain.errors import InvalidInputError

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
VERSION_CODE_LENGTH = 8
MAX_DOCX_ENTRIES = 1000
MAX_DOCX_UNCOMPRESSED = 64 * 1024 * 1024

# forms.md §1.6 — the headings the 工作总结 must have, in order. The one list both the generated
# outline and the upload check use.
SUMMARY_HEADINGS = (
    "一、基本情况和主要数据",
    "二、推进措施",
    "三、发表交流与评审",
    "四、典型经验",
    "五、存在问题",
    "六、下一年工作计划",
)
SUMMARY_HINTS = (
    (
        "简述本年度推行全面质量管理企业数、注册和开展活动的QC小组数、取得成果数、直接效益，"
        "与《质量管理小组活动统计表》的数据一致。"
    ),
    (
        "宣贯 T/CAQ 10201-2020《质量管理小组活动准则》、培训、诊断师和评审员队伍、激励措施，"
        "以及与工会、妇联、团委、科协等的联合推进。"
    ),
    "本年度举办的发表交流会场次、发表成果数、评审专家人数和评审方式。",
    "本地区（行业）QC小组活动的典型经验和优秀案例。",
    "活动推进中存在的问题和不足。",
    "下一年度的工作目标和主要措施。",
)
_WHITESPACE = re.compile(r"\s+")
# What parsing an untrusted PDF or .docx may raise: each means "not a readable file".
_UNREADABLE = (
    PyPdfError,
    OpcError,
    SyntaxError,  # lxml.etree.XMLSyntaxError
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    RecursionError,
)


@dataclass(frozen=True)
class ScanCheck:
    pages: int
    has_text: bool
    note: str


_PRINTED_CODE = re.compile(rf"版本码[:：]?([0-9A-F]{{{VERSION_CODE_LENGTH}}})")


def version_code(table_pdf_sha256: str) -> str:
    """The short code that names one rendered version of the 推荐表."""
    return table_pdf_sha256[:VERSION_CODE_LENGTH].upper()


def ensure_pdf(head: bytes) -> None:
    if not head.startswith(PDF_MAGIC):
        raise InvalidInputError(
            "推荐表盖章扫描件：文件不是 PDF（文件头不符）。请将盖章后的推荐表扫描为 PDF 再上传。"
        )


def pdf_page_count(data: bytes) -> int:
    return len(_read_pdf(data).pages)


def _read_pdf(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data))
        _ = len(reader.pages)
    except _UNREADABLE as exc:
        raise InvalidInputError(
            "推荐表盖章扫描件：PDF 文件已损坏或无法读取，请重新扫描后上传。"
        ) from exc
    return reader


def _text_of(reader: PdfReader) -> str:
    parts = []
    for page in reader.pages:
        try:
            parts.append(page.extract_text() or "")
        except _UNREADABLE:
            continue
    return _WHITESPACE.sub("", "".join(parts))


def check_scan(data: bytes, *, expected_pages: int, unit_name: str, code: str) -> ScanCheck:
    """The scan belongs to this version of the table: same page count; name and code if text."""
    ensure_pdf(data[: len(PDF_MAGIC)])
    reader = _read_pdf(data)
    pages = len(reader.pages)
    if pages < expected_pages:
        raise InvalidInputError(
            f"推荐表盖章扫描件：只有 {pages} 页，而当前版本（版本码 {code}）的推荐表有 "
            f"{expected_pages} 页。请扫描全部页面后重新上传。"
        )
    text = _text_of(reader)
    if not text:
        return ScanCheck(
            pages=pages,
            has_text=False,
            note=f"扫描件没有文字层，只核对了页数（{pages} 页）；"
            f"请确认扫描的是版本码为 {code} 的推荐表。",
        )
    compact_name = _WHITESPACE.sub("", unit_name)
    if compact_name not in text:
        raise InvalidInputError(
            f"推荐表盖章扫描件：文字中找不到推荐单位名称「{unit_name}」，"
            "可能是其他单位的推荐表。请上传本单位盖章的推荐表。"
        )
    printed = _PRINTED_CODE.findall(text.upper())
    if printed and code not in printed:
        raise InvalidInputError(
            f"推荐表盖章扫描件：上面的版本码是 {'、'.join(printed)}，"
            f"找不到当前版本的版本码 {code}，可能是旧版本的推荐表。"
            "请下载当前版本的推荐表盖章后重新扫描上传。"
        )
    if not printed:
        # The generated table does not print its code yet: page count and unit name must do.
        return ScanCheck(
            pages=pages,
            has_text=True,
            note=f"已核对页数（{pages} 页）和推荐单位名称；扫描件上没有版本码，"
            f"请确认扫描的是版本码为 {code} 的推荐表。",
        )
    return ScanCheck(
        pages=pages, has_text=True, note=f"已核对页数（{pages} 页）、推荐单位名称和版本码 {code}。"
    )


def _refuse_docx(reason: str) -> InvalidInputError:
    return InvalidInputError(
        f"工作总结：{reason}请使用 Word 另存为 .docx 格式（可从下载的提纲开始编写）后重新上传。"
    )


def _ensure_docx_directory(data: bytes) -> None:
    """Judge the zip by its central directory only (names, sizes); nothing is extracted."""
    if not data.startswith(ZIP_MAGIC):
        raise _refuse_docx("文件不是 .docx（文件头不符）。")
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except _UNREADABLE as exc:
        raise _refuse_docx("文件已损坏，读不出压缩目录。") from exc
    if len(infos) > MAX_DOCX_ENTRIES:
        raise _refuse_docx(f"包含 {len(infos)} 个内部文件，超过上限 {MAX_DOCX_ENTRIES}。")
    if sum(info.file_size for info in infos) > MAX_DOCX_UNCOMPRESSED:
        raise _refuse_docx("解压后体积过大。")
    names = {info.filename for info in infos}
    if not {"[Content_Types].xml", "word/document.xml"} <= names:
        raise _refuse_docx("不是 Word 文档（缺少 word/document.xml）。")


def _paragraph_texts(data: bytes) -> list[str]:
    try:
        document = docx.Document(io.BytesIO(data))
    except _UNREADABLE as exc:
        raise _refuse_docx("Word 无法解析该文件。") from exc
    texts = [p.text for p in document.paragraphs]
    texts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return [_WHITESPACE.sub("", t) for t in texts if t.strip()]


def missing_headings(data: bytes) -> list[str]:
    _ensure_docx_directory(data)
    texts = _paragraph_texts(data)
    return [h for h in SUMMARY_HEADINGS if not any(_heading_key(h) in t for t in texts)]


def _heading_key(heading: str) -> str:
    """The words of a heading without its numbering, so 「1. 推进措施」 also counts."""
    return heading.split("、", 1)[-1]


def check_summary(data: bytes) -> None:
    missing = missing_headings(data)
    if missing:
        raise InvalidInputError(
            f"工作总结：缺少以下章节标题：{'、'.join(missing)}。请按提纲补齐这些章节后重新上传。"
        )


def summary_outline(*, unit_name: str, year: int) -> bytes:
    document = docx.Document()
    document.add_heading(f"{unit_name}{year}年质量管理小组活动工作总结", level=0)
    for heading, hint in zip(SUMMARY_HEADINGS, SUMMARY_HINTS, strict=True):
        document.add_heading(heading, level=1)
        document.add_paragraph(f"（{hint}）")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
