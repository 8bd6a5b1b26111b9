"""Office files (docx, xlsx) as reproducible bytes.

python-docx and openpyxl stamp every zip entry, and openpyxl the workbook's properties, with
the current time, so the same input gave different bytes and a different sha256 each second.
Two workers rendering the same document at once would then store an object whose hash differs
from the row that won; with fixed stamps both write identical bytes.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from typing import Final

# The earliest time a zip entry can carry.
_ZIP_EPOCH: Final = (1980, 1, 1, 0, 0, 0)
_CORE_PROPERTIES: Final = "docProps/core.xml"
# openpyxl writes the save time here whatever the workbook's properties say.
_MODIFIED: Final = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
_FIXED_MODIFIED: Final = rb"\g<1>2023-01-01T00:00:00Z\g<2>"


def reproducible_zip(data: bytes) -> bytes:
    """The same archive with every entry stamped at one fixed time, in the original order."""
    output = BytesIO()
    with (
        zipfile.ZipFile(BytesIO(data)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            stamped = zipfile.ZipInfo(entry.filename, date_time=_ZIP_EPOCH)
            stamped.compress_type = zipfile.ZIP_DEFLATED
            stamped.external_attr = entry.external_attr
            content = source.read(entry.filename)
            if entry.filename == _CORE_PROPERTIES:
                content = _MODIFIED.sub(_FIXED_MODIFIED, content)
            target.writestr(stamped, content)
    return output.getvalue()
