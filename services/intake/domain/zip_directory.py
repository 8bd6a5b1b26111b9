"""Judging a .docx/.xlsx by its zip central directory alone, before anything opens it.

The directory sits at the end of the file, so the upload keeps only the last bytes it streamed
(TAIL_BYTES) and this module reads entry names, sizes and attributes from them: no extraction.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from services.intake.domain.errors import InvalidFileError

TAIL_BYTES = 1024 * 1024
MAX_ENTRIES = 1000
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
MAX_RATIO = 100
RATIO_CHECK_FROM_BYTES = 1024 * 1024  # small XML parts compress far better; only big ones count

_END_SIGNATURE = b"PK\x05\x06"
_END = struct.Struct("<4s4H2LH")
_ENTRY_SIGNATURE = b"PK\x01\x02"
_ENTRY = struct.Struct("<4s4B4HL2L5H2L")
_ZIP64_MARK = 0xFFFFFFFF
_UNIX = 3
_FILE_TYPE_MASK = 0o170000
_SYMLINK = 0o120000
_MAX_COMMENT = 0xFFFF


@dataclass(frozen=True)
class ZipEntry:
    name: str
    compressed_size: int
    size: int
    is_symlink: bool


def _refuse(reason: str) -> InvalidFileError:
    return InvalidFileError(
        f"Word/Excel 文件检查未通过：{reason}请另存为标准的 .docx/.xlsx 后重新上传。"
    )


def read_directory(tail: bytes, total_size: int) -> list[ZipEntry]:
    """Entries of the zip whose last len(tail) bytes are `tail` (of total_size bytes)."""
    end_at = tail.rfind(_END_SIGNATURE, max(0, len(tail) - _END.size - _MAX_COMMENT))
    if end_at < 0 or end_at + _END.size > len(tail):
        raise _refuse("找不到压缩目录，文件已损坏或不是 Office 文档。")
    _, _, _, _, count, directory_size, directory_offset, _ = _END.unpack_from(tail, end_at)
    if _ZIP64_MARK in (directory_size, directory_offset):
        raise _refuse("使用了 ZIP64 格式，超出申报材料的正常范围。")
    if count > MAX_ENTRIES:
        raise _refuse(f"包含 {count} 个内部文件，超过上限 {MAX_ENTRIES}。")
    start = directory_offset - (total_size - len(tail))
    if start < 0 or start + directory_size > end_at:
        raise _refuse("压缩目录的位置或大小异常。")
    return _entries(tail, start, count)


def _entries(tail: bytes, start: int, count: int) -> list[ZipEntry]:
    entries, at = [], start
    for _ in range(count):
        if tail[at : at + 4] != _ENTRY_SIGNATURE or at + _ENTRY.size > len(tail):
            raise _refuse("压缩目录的条目已损坏。")
        fields = _ENTRY.unpack_from(tail, at)
        system, compressed, size = fields[2], fields[10], fields[11]
        name_length, extra_length, comment_length = fields[12], fields[13], fields[14]
        external_attributes = fields[17]
        name_bytes = tail[at + _ENTRY.size : at + _ENTRY.size + name_length]
        mode = (external_attributes >> 16) & _FILE_TYPE_MASK
        entries.append(
            ZipEntry(
                name=name_bytes.decode("utf-8", errors="replace"),
                compressed_size=compressed,
                size=size,
                is_symlink=system == _UNIX and mode == _SYMLINK,
            )
        )
        at += _ENTRY.size + name_length + extra_length + comment_length
    return entries


def ensure_safe_office_zip(tail: bytes, total_size: int) -> None:
    entries = read_directory(tail, total_size)
    for entry in entries:
        _ensure_safe_entry(entry)
    total = sum(entry.size for entry in entries)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _refuse(f"解压后共 {total // 1024 // 1024} MB，超过上限（疑似压缩炸弹）。")
    if not any(entry.name == "[Content_Types].xml" for entry in entries):
        raise _refuse("缺少 Office 文档必需的 [Content_Types].xml。")


def _ensure_safe_entry(entry: ZipEntry) -> None:
    if entry.is_symlink:
        raise _refuse(f"内部文件“{entry.name}”是符号链接。")
    parts = entry.name.replace("\\", "/").split("/")
    if entry.name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        raise _refuse(f"内部文件路径“{entry.name}”越出文档目录。")
    if _ZIP64_MARK in (entry.size, entry.compressed_size):
        raise _refuse("使用了 ZIP64 格式，超出申报材料的正常范围。")
    is_big = entry.size >= RATIO_CHECK_FROM_BYTES
    if is_big and entry.size > MAX_RATIO * max(entry.compressed_size, 1):
        raise _refuse(f"内部文件“{entry.name}”压缩比异常（疑似压缩炸弹）。")
