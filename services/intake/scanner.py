"""ClamAV INSTREAM client: streams a stored object to clamd and reads its verdict."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator

from services.intake.domain.scanning import ScanStatus, verdict
from services.intake.settings import IntakeSettings

MAX_CLAMD_CHUNK = 64 * 1024
MAX_REPLY_BYTES = 4096


async def scan_stream(settings: IntakeSettings, chunks: AsyncIterator[bytes]) -> ScanStatus:
    if settings.clamav_host is None:
        return ScanStatus.NOT_SCANNED
    try:
        async with asyncio.timeout(settings.clamav_timeout_s):
            return await _instream(settings.clamav_host, settings.clamav_port, chunks)
    except (OSError, TimeoutError, asyncio.IncompleteReadError):
        return ScanStatus.HELD


async def _instream(host: str, port: int, chunks: AsyncIterator[bytes]) -> ScanStatus:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(b"zINSTREAM\0")
        async for chunk in chunks:
            for start in range(0, len(chunk), MAX_CLAMD_CHUNK):
                piece = chunk[start : start + MAX_CLAMD_CHUNK]
                writer.write(struct.pack(">I", len(piece)) + piece)
                await writer.drain()
        writer.write(struct.pack(">I", 0))
        await writer.drain()
        reply = await reader.read(MAX_REPLY_BYTES)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return verdict(reply)
