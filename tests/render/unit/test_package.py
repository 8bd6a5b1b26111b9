"""Office files as reproducible bytes: no save time survives."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from services.render.renderers.docx import render_application_form_docx
from services.render.renderers.package import reproducible_zip
from shared.events import ApplicationForm
from tests.builders import application_form

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


def test_an_archive_without_a_save_time_inside_keeps_its_compressed_entries() -> None:
    """Only the entries' times change: nothing is inflated and deflated again."""
    fixed = "2023-01-01T00:00:00Z"
    first = office_zip((2026, 11, 26, 16, 0, 0), fixed)
    later = office_zip((2026, 11, 26, 17, 30, 4), fixed)

    stamped = reproducible_zip(first)

    assert stamped == reproducible_zip(later)
    assert len(stamped) == len(first)
    assert sum(a != b for a, b in zip(stamped, first, strict=True)) <= 4 * 2 * 2  # time, date
    with zipfile.ZipFile(io.BytesIO(stamped)) as archive:
        assert archive.testzip() is None
        assert {entry.date_time for entry in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert archive.read("word/document.xml").decode() == "<w:document>正文</w:document>"


def test_the_application_form_docx_is_the_same_bytes_whenever_it_is_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    form = ApplicationForm(recommending_unit_name="西藏自治区质量协会", **application_form())
    drawn = []
    for clock in (1_790_000_000.0, 1_790_003_723.0):
        monkeypatch.setattr(time, "time", lambda clock=clock: clock)
        drawn.append(reproducible_zip(render_application_form_docx(form)))

    assert drawn[0] == drawn[1]
    with zipfile.ZipFile(io.BytesIO(drawn[0])) as archive:
        assert b"2023-01-01T00:00:00Z" in archive.read("docProps/core.xml")
