"""Office files (docx, xlsx) as reproducible bytes.

python-docx and openpyxl stamp every zip entry, and openpyxl the workbook's properties, with
the current time, so the same input gave different bytes and a different sha256 each second.
Two workers rendering the same document at once would then store an object whose hash differs
from the row that won; with fixed stamps both write identical bytes.

The docx bases carry the fixed time in their properties already, so a docx only needs its
entries' times overwritten; a workbook's properties are rewritten, and with them the archive.
"""

from __future__ import annotations

import re
import struct
import zipfile
from datetime import UTC, datetime
from io import BytesIO
from typing import Final

# The earliest time a zip entry can carry.
_ZIP_EPOCH: Final = (1980, 1, 1, 0, 0, 0)
_CORE_PROPERTIES: Final = "docProps/core.xml"
# openpyxl writes the save time here whatever the workbook's properties say.
_MODIFIED: Final = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
FIXED_MODIFIED_AT: Final = datetime(2023, 1, 1, tzinfo=UTC)
_FIXED_MODIFIED: Final = (
    rb"\g<1>%b\g<2>" % FIXED_MODIFIED_AT.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
)
# Where an entry's DOS time and date sit in its local header and in its central directory record.
_LOCAL_HEADER_TIME: Final = 10
_CENTRAL_RECORD_TIME: Final = 12
_CENTRAL_RECORD_NAME_LENGTHS: Final = 28  # then the name, extra field and comment lengths
_CENTRAL_RECORD_FIXED_SIZE: Final = 46


def _dos_time_and_date(moment: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    year, month, day, hour, minute, second = moment
    return hour << 11 | minute << 5 | second // 2, (year - 1980) << 9 | month << 5 | day


_DOS_EPOCH: Final = _dos_time_and_date(_ZIP_EPOCH)


def reproducible_zip(data: bytes) -> bytes:
    """The same archive with every entry stamped at one fixed time, in the original order."""
    with zipfile.ZipFile(BytesIO(data)) as source:
        if _carries_fixed_properties(source):
            return _stamped_in_place(data, source)
        return _rewritten(source)


def _carries_fixed_properties(source: zipfile.ZipFile) -> bool:
    if _CORE_PROPERTIES not in source.NameToInfo:
        return True
    core = source.read(_CORE_PROPERTIES)
    return _MODIFIED.sub(_FIXED_MODIFIED, core) == core


def _stamped_in_place(data: bytes, source: zipfile.ZipFile) -> bytes:
    """Only the times change; each entry's compressed bytes stay as they are.

    A 申报表 docx holds 0.8 MB of template XML: inflating and deflating it again cost 5.9 ms
    per document, more than a tenth of drawing the docx.
    """
    stamped = bytearray(data)
    record = source.start_dir  # central directory records come in `infolist()` order
    for entry in source.infolist():
        struct.pack_into("<2H", stamped, entry.header_offset + _LOCAL_HEADER_TIME, *_DOS_EPOCH)
        struct.pack_into("<2H", stamped, record + _CENTRAL_RECORD_TIME, *_DOS_EPOCH)
        lengths = struct.unpack_from("<3H", data, record + _CENTRAL_RECORD_NAME_LENGTHS)
        record += _CENTRAL_RECORD_FIXED_SIZE + sum(lengths)
    return bytes(stamped)


def _rewritten(source: zipfile.ZipFile) -> bytes:
    output = BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            stamped = zipfile.ZipInfo(entry.filename, date_time=_ZIP_EPOCH)
            stamped.compress_type = zipfile.ZIP_DEFLATED
            stamped.external_attr = entry.external_attr
            content = source.read(entry.filename)
            if entry.filename == _CORE_PROPERTIES:
                content = _MODIFIED.sub(_FIXED_MODIFIED, content)
            target.writestr(stamped, content)
    return output.getvalue()
