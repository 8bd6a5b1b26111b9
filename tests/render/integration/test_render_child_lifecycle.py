"""The render service starts its drawing child with the service and stops it with the service."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from services.render.main import create_app
from shared.runtime import Runtime
from tests.support.infra import Infra


def spawned_children() -> set[int]:
    """Children of the test process started by multiprocessing's spawn (render children)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == os.getpid() and b"multiprocessing.spawn" in command:
            found.add(int(entry.name))
    return found


async def test_the_child_is_up_before_any_document_and_gone_after_stop(
    infra: Infra, vhost: str, bucket: str, tmp_path: Path
) -> None:
    before = spawned_children()
    settings = infra.settings("render", smtp_port=1, bucket=bucket, data_dir=tmp_path)
    app = create_app(settings.model_copy(update={"amqp_url": infra.amqp_url(vhost=vhost)}))
    runtime: Runtime = app.state.runtime
    await runtime.start()
    try:
        for _ in range(300):
            started = spawned_children() - before
            if started:
                break
            await asyncio.sleep(0.1)
        assert len(started) == 1, "no render child process after start"
    finally:
        await runtime.stop()
    assert not (spawned_children() & started), "the render child outlived its service"
