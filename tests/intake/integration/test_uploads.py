"""Uploads on the real S3 server: good files stored with EvidenceStored, hostile ones refused."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator, Callable

import pytest
from openpyxl import Workbook

from tests.builders import pdf_bytes
from tests.intake import hostile_files
from tests.intake.integration.conftest import MAX_FILE_BYTES, Intake, Season
from tests.intake.integration.test_applications import create_draft


def xlsx_bytes() -> bytes:
    workbook = Workbook()
    workbook.active.append(["活动日期", "内容"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def upload(
    intake: Intake,
    season: Season,
    app_id: object,
    content: bytes | AsyncIterator[bytes],
    *,
    kind: str = "evidence",
    filename: str = "材料.bin",
    content_type: str = "application/octet-stream",
) -> tuple[int, dict[str, object]]:
    response = await intake.client.post(
        f"/api/applications/{app_id}/files",
        params={"filename": filename, "kind": kind},
        headers={**season.applicant, "Content-Type": content_type},
        content=content,
    )
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("kind", "build", "filename"),
    [
        ("report", hostile_files.valid_docx, "成果报告.docx"),
        ("evidence", xlsx_bytes, "活动记录.xlsx"),
        ("sealed_form", pdf_bytes, "盖章申报表.pdf"),
    ],
)
async def test_good_files_are_stored_with_sha256_and_announced(
    intake: Intake, season: Season, kind: str, build: Callable[[], bytes], filename: str
):
    draft = await create_draft(intake, season)
    data = build()
    code, body = await upload(
        intake, season, draft["application_id"], data, kind=kind, filename=filename
    )
    assert code == 201, body
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    [event] = await intake.outbox("evidence.stored", str(draft["application_id"]))
    assert event["file"]["filename"] == filename
    key = event["file"]["storage_key"]
    assert key in intake.stored_keys()
    assert filename not in key


HOSTILE = [
    ("renamed executable", "evidence", hostile_files.renamed_executable, "报告.pdf", 415),
    ("zip bomb .docx", "report", hostile_files.zip_bomb_docx, "成果报告.docx", 415),
    ("zip slip .docx", "report", hostile_files.zip_slip_docx, "成果报告.docx", 415),
    ("symlink entry .docx", "evidence", hostile_files.symlink_docx, "记录.docx", 415),
    ("polyglot PDF/HTML", "sealed_form", hostile_files.polyglot_pdf_html, "盖章.pdf", 415),
    ("SVG with script", "evidence", hostile_files.svg_with_script, "图.png", 415),
    ("HTML page", "evidence", hostile_files.html_page, "记录.pdf", 415),
    ("empty file", "evidence", lambda: b"", "空.pdf", 415),
    ("docx as sealed form", "sealed_form", hostile_files.valid_docx, "盖章.pdf", 415),
    ("oversize declared", "evidence", lambda: b"%PDF-1.4\n" + b"0" * MAX_FILE_BYTES, "大.pdf", 413),
]


@pytest.mark.parametrize(
    ("kind", "build", "filename", "expected"),
    [case[1:] for case in HOSTILE],
    ids=[case[0] for case in HOSTILE],
)
async def test_hostile_files_are_refused_and_nothing_is_stored(
    intake: Intake,
    season: Season,
    kind: str,
    build: Callable[[], bytes],
    filename: str,
    expected: int,
):
    draft = await create_draft(intake, season)
    before = intake.stored_keys()
    code, body = await upload(
        intake, season, draft["application_id"], build(), kind=kind, filename=filename
    )
    assert code == expected, body
    assert isinstance(body["detail"], str)
    assert intake.stored_keys() == before
    assert await intake.outbox("evidence.stored", str(draft["application_id"])) == []


async def test_oversize_streamed_body_without_length_is_refused(intake: Intake, season: Season):
    draft = await create_draft(intake, season)
    before = intake.stored_keys()

    async def endless_pdf() -> AsyncIterator[bytes]:
        yield b"%PDF-1.4\n"
        for _ in range(MAX_FILE_BYTES // 65536 + 4):
            yield b"0" * 65536

    code, body = await upload(intake, season, draft["application_id"], endless_pdf())
    assert code == 413, body
    assert "超过允许的大小" in str(body["detail"])
    assert intake.stored_keys() == before


async def test_declared_type_that_contradicts_the_content_is_refused(
    intake: Intake, season: Season
):
    draft = await create_draft(intake, season)
    before = intake.stored_keys()
    code, body = await upload(
        intake, season, draft["application_id"], pdf_bytes(), content_type="image/png"
    )
    assert code == 415, body
    assert "与实际内容（pdf）不符" in str(body["detail"])
    assert intake.stored_keys() == before


async def test_oversize_json_body_is_refused_before_parsing(intake: Intake, season: Season):
    response = await intake.client.post(
        "/api/applications",
        headers={**season.applicant, "Content-Type": "application/json"},
        content=b"[" + b"0," * 600_000 + b"0]",
    )
    assert response.status_code == 413
