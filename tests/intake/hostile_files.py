"""Files an attacker (or an unlucky applicant) might upload; every one must be refused."""

from __future__ import annotations

import io
import zipfile

from tests.builders import docx_bytes

CONTENT_TYPES_XML = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"></Types>'
)


def _office_zip(extra: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    """A zip that filetype recognises as .docx (its first entry is [Content_Types].xml)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES_XML)
        archive.writestr("word/document.xml", b"<w:document/>")
        for name, data in extra:
            archive.writestr(name, data)
    return buffer.getvalue()


def renamed_executable() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def zip_bomb_docx() -> bytes:
    return _office_zip([("word/media/image1.bin", b"\x00" * (20 * 1024 * 1024))])


def zip_slip_docx() -> bytes:
    return _office_zip([("../../../etc/cron.d/evil", b"* * * * * root sh")])


def symlink_docx() -> bytes:
    link = zipfile.ZipInfo("word/media/link")
    link.create_system = 3
    link.external_attr = 0o120777 << 16
    return _office_zip([(link, b"/etc/passwd")])


def polyglot_pdf_html() -> bytes:
    return b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n"


def svg_with_script() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def html_page() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def valid_docx() -> bytes:
    return docx_bytes("成果报告")
