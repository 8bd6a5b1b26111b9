"""Fault drills: N applications in flight while a part of the platform fails; nothing is lost.

Each drill proves: every application has its docx and pdf (one object each), every receipt
mail arrived exactly once, no outbox row is stuck, no message is left or dead-lettered, and
every service has its consumer back.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any

import pytest

from tests.e2e.faults.drill import Drill, Submitted
from tests.support.infra import Infra
from tests.support.rabbit_node import PrivateRabbitNode

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
N = int(os.environ.get("QCFLOW_DRILL_APPLICATIONS", "200"))


@pytest.fixture(scope="module")
def rabbit_node() -> Iterator[PrivateRabbitNode]:
    node = PrivateRabbitNode().start()
    yield node
    node.close()


@pytest.fixture
async def drill(infra: Infra, rabbit_node: PrivateRabbitNode, tmp_path) -> AsyncIterator[Drill]:
    started = await asyncio.to_thread(Drill(infra, rabbit_node, tmp_path).start)
    yield started
    await asyncio.to_thread(started.close)


async def _submit_while(drill: Drill, fault: Coroutine[Any, Any, None]) -> list[Submitted]:
    """Submit N applications; the fault coroutine runs alongside, starting after a head start."""
    load = asyncio.create_task(drill.submit(N))
    await fault
    return await load


async def _after(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def test_broker_stopped_and_restarted_mid_flow(drill: Drill, rabbit_node: PrivateRabbitNode):
    async def restart_broker() -> None:
        await _after(3.0)
        await asyncio.to_thread(rabbit_node.stop_app)
        await _after(5.0)
        await asyncio.to_thread(rabbit_node.start_app)

    submitted = await _submit_while(drill, restart_broker())
    await drill.assert_nothing_lost(submitted)
    for service in ("intake", "review", "render", "notify"):
        await asyncio.to_thread(drill.platform.wait_ready, service)


async def test_render_killed_while_rendering(drill: Drill):
    async def kill_render() -> None:
        await _after(6.0)
        await asyncio.to_thread(drill.platform.kill, "render")
        await _after(1.0)
        await asyncio.to_thread(drill.platform.start, "render")

    submitted = await _submit_while(drill, kill_render())
    await drill.assert_nothing_lost(submitted)


async def test_render_terminated_gracefully_mid_burst(drill: Drill):
    exit_codes: list[int] = []

    async def terminate_render() -> None:
        await _after(6.0)
        exit_codes.append(await asyncio.to_thread(drill.platform.terminate, "render"))
        await asyncio.to_thread(drill.platform.start, "render")

    submitted = await _submit_while(drill, terminate_render())
    await drill.assert_nothing_lost(submitted)
    # uvicorn re-raises the signal after its graceful shutdown, so -SIGTERM is a clean exit too.
    assert exit_codes in ([0], [-signal.SIGTERM])
    assert "Application shutdown complete" in drill.platform.log("render")


async def test_object_storage_unreachable_for_a_while(drill: Drill):
    async def cut_storage() -> None:
        await _after(4.0)
        drill.s3_proxy.cut()
        await _after(8.0)
        drill.s3_proxy.restore()

    submitted = await _submit_while(drill, cut_storage())
    await drill.assert_nothing_lost(submitted)


async def test_database_connections_dropped_mid_transaction(drill: Drill):
    async def drop_connections() -> None:
        for _ in range(3):
            await _after(3.0)
            drill.db_proxy.cut()
            await _after(1.0)
            drill.db_proxy.restore()

    submitted = await _submit_while(drill, drop_connections())
    await drill.assert_nothing_lost(submitted)


async def test_mail_server_down_then_up(drill: Drill):
    drill.smtp.stop()
    started = time.monotonic()
    submitted = await drill.submit(N)
    await _after(max(0.0, 10.0 - (time.monotonic() - started)))
    drill.smtp.start()
    await drill.assert_nothing_lost(submitted, timeout_s=300)
