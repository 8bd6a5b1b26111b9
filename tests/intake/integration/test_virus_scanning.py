"""ClamAV INSTREAM hook against a tiny fake clamd: clean released, infected refused, down = held."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.intake.settings import IntakeSettings
from tests.builders import pdf_bytes
from tests.intake.integration.conftest import Intake, Season, create_season, running_intake
from tests.intake.integration.test_applications import create_draft, submit
from tests.support.infra import Infra
from tests.support.proxy import free_port

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class FakeClamd:
    """Speaks INSTREAM: z-prefixed command, length-prefixed chunks, a zero length to finish."""

    def __init__(self) -> None:
        self.scanned = 0
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self, port: int = 0) -> FakeClamd:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        command = await reader.readuntil(b"\0")
        assert command == b"zINSTREAM\0"
        data = b""
        while size := struct.unpack(">I", await reader.readexactly(4))[0]:
            data += await reader.readexactly(size)
        self.scanned += 1
        verdict = b"stream: Eicar-Test-Signature FOUND\0" if EICAR in data else b"stream: OK\0"
        writer.write(verdict)
        await writer.drain()
        writer.close()


@pytest.fixture
async def clamd() -> AsyncIterator[FakeClamd]:
    server = await FakeClamd().start()
    yield server
    await server.stop()


@contextlib.asynccontextmanager
async def scanning_intake(
    infra: Infra, vhost: str, bucket: str, tmp_path: Path, port: int
) -> AsyncIterator[Intake]:
    own = IntakeSettings(
        clamav_host="127.0.0.1", clamav_port=port, clamav_timeout_s=5, rescan_interval_s=0.2
    )
    async with running_intake(infra, vhost, bucket, tmp_path, own) as running:
        yield running


async def upload_pdf(intake: Intake, headers: dict[str, str], app_id: object, data: bytes):
    return await intake.client.post(
        f"/api/applications/{app_id}/files",
        params={"filename": "记录.pdf"},
        headers={**headers, "Content-Type": "application/pdf"},
        content=data,
    )


async def test_clean_file_is_released_and_infected_one_refused(
    infra: Infra, vhost: str, bucket: str, tmp_path: Path, clamd: FakeClamd
):
    async with scanning_intake(infra, vhost, bucket, tmp_path, clamd.port) as intake:
        season = await create_season(intake)
        draft = await create_draft(intake, season)
        clean = await upload_pdf(intake, season.applicant, draft["application_id"], pdf_bytes())
        assert clean.status_code == 201, clean.text
        assert clean.json()["scan_status"] == "clean"
        keys_after_clean = intake.stored_keys()

        infected = pdf_bytes().replace(b"%%EOF", EICAR + b"\n%%EOF")
        refused = await upload_pdf(intake, season.applicant, draft["application_id"], infected)
        assert refused.status_code == 415
        assert "病毒" in refused.json()["detail"]
        assert intake.stored_keys() == keys_after_clean
        assert clamd.scanned == 2
        events = await intake.outbox("evidence.stored", str(draft["application_id"]))
        assert len(events) == 1


async def test_unavailable_scanner_holds_the_file_and_blocks_submit(
    infra: Infra, vhost: str, bucket: str, tmp_path: Path
):
    async with scanning_intake(infra, vhost, bucket, tmp_path, free_port()) as intake:
        season = await create_season(intake)
        draft = await create_draft(intake, season)
        held = await upload_pdf(intake, season.applicant, draft["application_id"], pdf_bytes())
        assert held.status_code == 201, held.text
        assert held.json()["scan_status"] == "held"
        assert await intake.outbox("evidence.stored", str(draft["application_id"])) == []
        code, body = await submit(intake, season, draft)
        assert code == 409
        assert "等待病毒扫描" in str(body["detail"])


async def test_held_file_is_released_once_the_scanner_is_back(
    infra: Infra, vhost: str, bucket: str, tmp_path: Path
):
    port = free_port()
    async with scanning_intake(infra, vhost, bucket, tmp_path, port) as intake:
        season = await create_season(intake)
        draft = await create_draft(intake, season)
        app_id = str(draft["application_id"])
        held = await upload_pdf(intake, season.applicant, app_id, pdf_bytes())
        assert held.json()["scan_status"] == "held"
        clamd = await FakeClamd().start(port)
        try:
            for _ in range(100):
                if await intake.outbox("evidence.stored", app_id):
                    break
                await asyncio.sleep(0.1)
        finally:
            await clamd.stop()
        [event] = await intake.outbox("evidence.stored", app_id)
        assert event["file"]["file_id"] == held.json()["file_id"]
        code, body = await submit(intake, season, draft)
        assert code == 200, body


async def test_deleting_a_file_removes_it_from_storage(intake: Intake, season: Season):
    draft = await create_draft(intake, season)
    app_id = draft["application_id"]
    uploaded = await upload_pdf(intake, season.applicant, app_id, pdf_bytes())
    before = intake.stored_keys()
    response = await intake.client.delete(
        f"/api/applications/{app_id}/files/{uploaded.json()['file_id']}", headers=season.applicant
    )
    assert response.status_code == 204, response.text
    assert len(before - intake.stored_keys()) == 1
    body = (await intake.client.get(f"/api/applications/{app_id}", headers=season.applicant)).json()
    assert body["evidence"] == []
