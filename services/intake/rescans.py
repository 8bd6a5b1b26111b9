"""Background job: files held because the scanner was unavailable are scanned again."""

from __future__ import annotations

import asyncio
import logging

from services.intake import repository, service
from services.intake.domain.scanning import ScanStatus
from services.intake.scanner import scan_stream
from services.intake.settings import IntakeSettings
from shared.cancellation import cancel_requested
from shared.runtime import BackgroundJob, Runtime
from shared.storage import ObjectNotFoundError

log = logging.getLogger(__name__)


async def rescan_held_files(runtime: Runtime, settings: IntakeSettings) -> int:
    """One pass; returns how many files got a verdict."""
    async with runtime.transaction() as session:
        held = [(row.file_id, row.storage_key) for row in await repository.held_files(session)]
    decided = 0
    for file_id, key in held:
        try:
            status = await scan_stream(settings, runtime.store.iter_chunks(key))
        except ObjectNotFoundError:
            log.warning("held file %s has no stored object %s", file_id, key)
            continue  # one lost object must not keep every other file held
        if status is ScanStatus.HELD:
            return decided  # scanner still away: try the rest on the next pass
        async with runtime.transaction() as session:
            await service.release_scanned_file(session, file_id=file_id, status=status)
        if status is ScanStatus.INFECTED:
            await runtime.store.delete(key)
        decided += 1
    return decided


def rescan_job(runtime: Runtime, settings: IntakeSettings) -> BackgroundJob:
    async def run() -> None:
        while not cancel_requested():
            await asyncio.sleep(settings.rescan_interval_s)
            try:
                await rescan_held_files(runtime, settings)
            except Exception:  # a failed pass must not end the job; the next pass retries
                log.exception("rescan of held files failed")

    return run
