"""Office files as reproducible bytes: no save time survives."""

from __future__ import annotations

import io
import zipfile

from services.render.renderers.package import reproducible_zip

CORE = (
    '<cp:coreProperties xmlns:dcterms="http://purl.org/dc/terms/">'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">{}</dcterms:modified></cp:coreProperties>'
)


def office_zip(saved_at: tuple[int, int, int, int, int, int], modified: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("word/document.xml", saved_at), "<w:document>正文</w:document>"
        )
        archive.writestr(zipfile.ZipInfo("docProps/core.xml", saved_at), CORE.format(modified))
    return buffer.getvalue()


def test_archives_saved_at_different_times_become_identical() -> None:
    first = office_zip((2026, 11, 26, 16, 0, 0), "2026-11-26T16:00:00Z")
    later = office_zip((2026, 11, 26, 17, 30, 4), "2026-11-26T17:30:04Z")

    assert first != later
    assert reproducible_zip(first) == reproducible_zip(later)


def test_content_and_order_are_kept() -> None:
    original = office_zip((2026, 11, 26, 16, 0, 0), "2026-11-26T16:00:00Z")

    with zipfile.ZipFile(io.BytesIO(reproducible_zip(original))) as archive:
        names = archive.namelist()
        document = archive.read("word/document.xml").decode()
        core = archive.read("docProps/core.xml").decode()

    assert names == ["word/document.xml", "docProps/core.xml"]
    assert document == "<w:document>正文</w:document>"
    assert core == CORE.format("2023-01-01T00:00:00Z")
