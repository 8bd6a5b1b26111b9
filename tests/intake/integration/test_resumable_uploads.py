"""Resumable uploads: chunks at offsets, a dropped chunk resumed, sha256 checked at the end."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

from tests.intake.integration.conftest import CHUNK_BYTES, Intake, Season
from tests.intake.integration.test_applications import create_draft


def big_pdf(size: int = 3 * CHUNK_BYTES + 1000) -> bytes:
    head = b"%PDF-1.4\n"
    return head + b"0" * (size - len(head))


async def start(intake: Intake, season: Season, app_id: object, data: bytes, **overrides: object):
    body = {
        "filename": "成果报告附件.pdf",
        "kind": "evidence",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        **overrides,
    }
    response = await intake.client.post(
        f"/api/applications/{app_id}/uploads", headers=season.applicant, json=body
    )
    assert response.status_code == 201, response.text
    return response.json()


async def put(intake: Intake, season: Season, upload_id: str, offset: int, content: object):
    return await intake.client.put(
        f"/api/uploads/{upload_id}",
        params={"offset": offset},
        headers=season.applicant,
        content=content,  # type: ignore[arg-type]
    )


async def test_upload_survives_a_dropped_chunk_and_completes(intake: Intake, season: Season):
    draft = await create_draft(intake, season)
    data = big_pdf()
    upload = await start(intake, season, draft["application_id"], data)
    upload_id = upload["upload_id"]
    assert upload["chunk_bytes"] == CHUNK_BYTES

    first = await put(intake, season, upload_id, 0, data[:CHUNK_BYTES])
    assert first.json()["offset"] == CHUNK_BYTES

    async def dropped_midway() -> AsyncIterator[bytes]:
        yield data[CHUNK_BYTES : CHUNK_BYTES + 1000]
        raise ConnectionResetError("connection dropped")

    dropped = await put(intake, season, upload_id, CHUNK_BYTES, dropped_midway())
    assert dropped.status_code != 200  # in-process the drop surfaces as an error response
    progress = await intake.client.get(f"/api/uploads/{upload_id}", headers=season.applicant)
    assert progress.json()["offset"] == CHUNK_BYTES
    assert len([k for k in intake.stored_keys() if k.startswith(f"uploads/{upload_id}")]) == 1

    wrong_offset = await put(intake, season, upload_id, 0, data[:CHUNK_BYTES])
    assert wrong_offset.status_code == 409
    assert f"offset={CHUNK_BYTES}" in wrong_offset.json()["detail"]

    offset = CHUNK_BYTES
    while offset < len(data):
        response = await put(intake, season, upload_id, offset, data[offset : offset + CHUNK_BYTES])
        assert response.status_code == 200, response.text
        offset = response.json()["offset"]

    done = await intake.client.post(f"/api/uploads/{upload_id}/complete", headers=season.applicant)
    assert done.status_code == 201, done.text
    assert done.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert done.json()["size"] == len(data)
    assert [k for k in intake.stored_keys() if k.startswith(f"uploads/{upload_id}")] == []
    [event] = await intake.outbox("evidence.stored", str(draft["application_id"]))
    assert event["file"]["size"] == len(data)


async def test_completion_with_a_wrong_sha256_is_refused(intake: Intake, season: Season):
    draft = await create_draft(intake, season)
    data = big_pdf(CHUNK_BYTES // 2)
    upload = await start(intake, season, draft["application_id"], data, sha256="0" * 64)
    await put(intake, season, upload["upload_id"], 0, data)
    done = await intake.client.post(
        f"/api/uploads/{upload['upload_id']}/complete", headers=season.applicant
    )
    assert done.status_code == 422
    assert done.json()["detail"].startswith("sha256：")
    assert [k for k in intake.stored_keys() if k.startswith("evidence/")] == []


async def test_completion_before_all_bytes_arrived_is_refused(intake: Intake, season: Season):
    draft = await create_draft(intake, season)
    data = big_pdf()
    upload = await start(intake, season, draft["application_id"], data)
    await put(intake, season, upload["upload_id"], 0, data[:CHUNK_BYTES])
    done = await intake.client.post(
        f"/api/uploads/{upload['upload_id']}/complete", headers=season.applicant
    )
    assert done.status_code == 409
    assert "尚未传完" in done.json()["detail"]


async def test_declared_size_over_the_limit_is_refused_at_start(intake: Intake, season: Season):
    draft = await create_draft(intake, season)
    response = await intake.client.post(
        f"/api/applications/{draft['application_id']}/uploads",
        headers=season.applicant,
        json={"filename": "a.pdf", "size": 10**9, "sha256": "0" * 64},
    )
    assert response.status_code == 413
