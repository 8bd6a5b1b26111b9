"""Every hostile upload to intake (a real process) is refused: no S3 object, no temp growth."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
from minio import Minio

from tests.builders import application_form, pdf_bytes, unique
from tests.intake import hostile_files
from tests.security.conftest import APPLICANT, MAX_FILE, SecurityPlatform

TOLERANCE_BYTES = 64 * 1024  # log-free bookkeeping only; one refused file is far bigger
HOSTILE: list[tuple[str, str, Callable[[], bytes], str, str]] = [
    ("renamed executable", "evidence", hostile_files.renamed_executable, "报告.pdf", ""),
    ("zip bomb .docx", "report", hostile_files.zip_bomb_docx, "成果报告.docx", ""),
    ("zip slip .docx", "report", hostile_files.zip_slip_docx, "成果报告.docx", ""),
    ("symlink entry .docx", "evidence", hostile_files.symlink_docx, "记录.docx", ""),
    ("polyglot PDF/HTML", "sealed_form", hostile_files.polyglot_pdf_html, "盖章.pdf", ""),
    ("SVG with script", "evidence", hostile_files.svg_with_script, "图.png", ""),
    ("HTML page", "evidence", hostile_files.html_page, "记录.pdf", ""),
    ("empty file", "evidence", lambda: b"", "空.pdf", ""),
    ("wrong declared type", "evidence", pdf_bytes, "记录.pdf", "image/png"),
    ("oversize declared", "evidence", lambda: b"%PDF-1.4\n" + b"0" * MAX_FILE, "大.pdf", ""),
]


def bytes_under(directory: Path) -> int:
    """Everything the service may have left behind, except its own log files."""
    return sum(
        path.stat().st_size
        for path in directory.rglob("*")
        if path.is_file() and path.suffix != ".log"
    )


def stored_objects(platform: SecurityPlatform) -> set[str]:
    settings = platform.platform.infra.settings(
        "intake",
        smtp_port=platform.platform.smtp_port,
        bucket=platform.platform.bucket,
        data_dir=platform.platform.data_dir,
    )
    s3 = Minio(
        settings.s3_endpoint,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key.get_secret_value(),
        secure=False,
    )
    if not s3.bucket_exists(settings.s3_bucket):
        return set()
    return {str(o.object_name) for o in s3.list_objects(settings.s3_bucket, recursive=True)}


def oversize_stream() -> Iterator[bytes]:
    yield b"%PDF-1.4\n"
    for _ in range(MAX_FILE // 65536 + 8):
        yield b"0" * 65536


def test_hostile_uploads_are_refused_without_storing_or_growing_temp_space(
    security_platform: SecurityPlatform,
):
    headers = security_platform.headers(APPLICANT)
    data_dir = security_platform.platform.data_dir
    with httpx.Client(base_url=security_platform.url("intake"), timeout=60) as client:
        form = application_form(group_name=unique("敌意上传小组"))
        draft = client.post("/api/applications", headers=headers, json=form)
        assert draft.status_code == 201, draft.text
        files_url = f"/api/applications/{draft.json()['application_id']}/files"
        objects_before = stored_objects(security_platform)
        temp_before, data_before = bytes_under(data_dir / "tmp"), bytes_under(data_dir)

        answers = {}
        for name, kind, build, filename, content_type in HOSTILE:
            response = client.post(
                files_url,
                params={"filename": filename, "kind": kind},
                headers={**headers, "Content-Type": content_type or "application/octet-stream"},
                content=build(),
            )
            answers[name] = (response.status_code, response.json()["detail"])
        streamed = client.post(
            files_url, params={"filename": "大.pdf"}, headers=headers, content=oversize_stream()
        )
        answers["oversize streamed body"] = (streamed.status_code, streamed.json()["detail"])

        refused = [name for name, (code, _) in answers.items() if code in {413, 415, 422}]
        print(f"\nhostile fixtures refused: {len(refused)} / {len(answers)}")
        assert refused == list(answers), answers
        assert all(any("\u4e00" <= c <= "\u9fff" for c in detail) for _, detail in answers.values())
        assert stored_objects(security_platform) == objects_before
        assert bytes_under(data_dir / "tmp") - temp_before <= TOLERANCE_BYTES
        assert bytes_under(data_dir) - data_before <= TOLERANCE_BYTES
