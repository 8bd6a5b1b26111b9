"""`scale`: drain time of a backlog in render's queue with 1 and with 2 render replicas.

With render stopped, a backlog of `application.submitted` events is published (persistent,
confirmed) through the events exchange; then 1 (round 1) or 2 (round 2, a fresh backlog)
``python -m services.cli serve render`` processes start, and the drain time runs from their
start until render's queue is empty and every document of the backlog is recorded. Process
start-up is inside the time for both rounds, as it is when a replica is added under load.
"""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aio_pika
from sqlalchemy import text

from bench.common import Options, Result, Row, Target, form, log, submitted
from bench.platform import running_platform, spawn_render
from bench.render import declare, publish_events
from shared.db import create_engine
from shared.messaging.topology import SERVICE_QUEUES
from tests.support.platform import Platform

NAME = "scale"
POLL_S = 0.5


def run(options: Options) -> Result:
    n = options.count(NAME, full=5000, quick=300)
    timeout_s = max(600.0, n * 2.0)
    result = Result(NAME, params={"backlog": n, "replicas": [1, 2]})
    rounds: dict[int, dict[str, Any]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="qcflow-bench-") as tmp,
        running_platform(("render",), Path(tmp), start=False) as platform,
    ):
        url = platform.infra.amqp_url()
        asyncio.run(declare(url))
        done_before = 0
        for replicas in (1, 2):
            events = [submitted(form(index)) for index in range(n)]
            log(f"scale: publishing a backlog of {n} with render stopped")
            asyncio.run(publish_events(url, events))
            log(f"scale: draining with {replicas} replica(s)")
            figures = asyncio.run(
                _drain(platform, replicas, n, expected=done_before + 2 * n, timeout_s=timeout_s)
            )
            figures |= asyncio.run(_check(platform, [str(e.application_id) for e in events]))
            rounds[replicas] = figures
            done_before += 2 * n
    result.facts = {"rounds": rounds}
    for replicas, figures in rounds.items():
        label = f"{replicas} replica{'s' if replicas > 1 else ''}"
        result.add(
            Row(
                f"drain time, {label}",
                figures["drain_s"],
                "s",
                note=f"{figures['rate']} events/s, ready after {figures['ready_s']} s",
            ),
            Row(f"  lost, {label}", figures["lost"], "", Target("<=", 0)),
            Row(f"  duplicates, {label}", figures["duplicates"], "", Target("<=", 0)),
        )
    if 1 in rounds and 2 in rounds:
        result.add(
            Row(
                "speed-up, 2 replicas vs 1",
                round(rounds[1]["drain_s"] / rounds[2]["drain_s"], 3),
                "×",
                Target(">=", 1.7),
            )
        )
    return result


async def _drain(
    platform: Platform, replicas: int, backlog: int, *, expected: int, timeout_s: float
) -> dict[str, Any]:
    engine = create_engine(platform.infra.database_url("render"))
    connection = await aio_pika.connect(platform.infra.amqp_url())
    names = [f"render-{index}" for index in range(1, replicas + 1)]
    before = {name: _handled(platform, name) for name in names}
    started = time.perf_counter()
    urls = {name: spawn_render(platform, index) for index, name in enumerate(names, start=1)}
    ready_s: float | None = None
    try:
        channel = await connection.channel()
        deadline = started + timeout_s
        while True:
            queue = await channel.declare_queue(SERVICE_QUEUES["render"].name, passive=True)
            waiting = queue.declaration_result.message_count or 0
            async with engine.connect() as db:
                recorded = int(
                    (await db.execute(text("SELECT count(*) FROM rendered_documents"))).scalar_one()
                )
            if ready_s is None and await _all_ready(urls.values()):
                ready_s = time.perf_counter() - started
            if waiting == 0 and recorded >= expected:
                break
            if time.perf_counter() > deadline:
                log(f"scale: gave up after {timeout_s:.0f} s ({recorded}/{expected} documents)")
                break
            for name in names:
                if platform.processes[name].poll() is not None:
                    raise RuntimeError(f"{name} exited: {platform.log(name)[-2000:]}")
            await asyncio.sleep(POLL_S)
        drain_s = time.perf_counter() - started
    finally:
        await connection.close()
        await engine.dispose()
        for name in names:
            _stop(platform, name)
    handled = {name: _handled(platform, name) - before[name] for name in names}
    return {
        "handled_per_replica": handled,
        "drain_s": round(drain_s, 2),
        "ready_s": round(ready_s, 2) if ready_s is not None else None,
        "drain_after_ready_s": round(drain_s - ready_s, 2) if ready_s is not None else None,
        "rate": round(backlog / drain_s, 2) if drain_s else None,
    }


async def _all_ready(urls: Any) -> bool:  # noqa: ANN401 - any iterable of URLs
    import httpx  # noqa: PLC0415

    async with httpx.AsyncClient(timeout=2) as client:
        for url in urls:
            try:
                if (await client.get(f"{url}/ready")).status_code != 200:
                    return False
            except httpx.HTTPError:
                return False
    return True


def _handled(platform: Platform, name: str) -> int:
    """How many events a replica's log says it handled (its log is appended to across rounds)."""
    try:
        return platform.log(name).count("handled application.submitted")
    except FileNotFoundError:
        return 0


def _stop(platform: Platform, name: str) -> None:
    process = platform.processes.pop(name, None)
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


async def _check(platform: Platform, subjects: list[str]) -> dict[str, Any]:
    engine = create_engine(platform.infra.database_url("render"))
    try:
        async with engine.connect() as db:
            rows = (
                await db.execute(
                    text(
                        "SELECT subject_id, count(*) FROM rendered_documents "
                        "WHERE subject_id = ANY(:ids) GROUP BY subject_id"
                    ),
                    {"ids": subjects},
                )
            ).all()
            announced = (
                await db.execute(
                    text(
                        "SELECT payload::json->>'subject_id', count(*) FROM outbox "
                        "WHERE event_type = 'document.rendered' "
                        "AND payload::json->>'subject_id' = ANY(:ids) GROUP BY 1"
                    ),
                    {"ids": subjects},
                )
            ).all()
    finally:
        await engine.dispose()
    complete = {row[0] for row in rows if row[1] >= 2}
    return {
        "backlog": len(subjects),
        "lost": len(set(subjects) - complete),
        "duplicates": sum(row[1] - 2 for row in rows if row[1] > 2)
        + sum(row[1] - 1 for row in announced if row[1] > 1),
    }
