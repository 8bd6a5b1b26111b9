"""`intake`: HTTP submissions/s and latency at a fixed concurrency, and RSS while streaming.

intake runs as a real process (``python -m services.cli serve intake``) on PostgreSQL, a
private virtual host and moto S3. One applicant account, logged in once, runs `--concurrency` (16)
clients; each item is create application → upload a 1 MB evidence PDF → submit (with the
certificate line confirmed and an Idempotency-Key). Latency percentiles are per request.

Then intake's resident memory (VmRSS of its process, sampled from /proc every 5 ms) while one
upload of 5, 20 and 50 MB streams through it: the growth over the RSS before the upload must
not grow with the file's size. The figure checked is the marginal growth per MB between the
5 MB and the 50 MB upload (buffers of a fixed size show as a constant, not a slope).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import Options, Result, Row, Target, log, percentile
from bench.platform import (
    MB,
    Applicant,
    RssSampler,
    applicant_accounts,
    login,
    reset_peak_rss,
    running_platform,
    status_kb,
    streamed_pdf,
)
from tests.builders import application_form
from tests.support.platform import Platform

NAME = "intake"
RSS_SIZES_MB = (5, 20, 50)


def run(options: Options) -> Result:
    concurrency = options.concurrency
    n = options.count(NAME, full=concurrency * 20, quick=concurrency * 2)
    result = Result(NAME, params={"n": n, "concurrency": concurrency, "evidence_mb": 1})
    with (
        tempfile.TemporaryDirectory(prefix="qcflow-bench-") as tmp,
        running_platform(("intake",), Path(tmp)) as platform,
    ):
        headers = login(platform)
        pid = platform.processes["intake"].pid
        log(f"intake: RSS while streaming {', '.join(map(str, RSS_SIZES_MB))} MB uploads")
        rss = asyncio.run(_rss(platform, headers, pid))
        log(f"intake: {n} submissions at concurrency {concurrency}")
        applicant = Applicant(platform.url("intake"), applicant_accounts(platform, concurrency))
        asyncio.run(applicant.submit_many(concurrency, concurrency=concurrency, tag="warm"))
        applicant.latencies = {kind: [] for kind in applicant.latencies}
        started = time.perf_counter()
        items = asyncio.run(applicant.submit_many(n, concurrency=concurrency, tag="i"))
        seconds = time.perf_counter() - started

    errors = [item.error for item in items if item.error]
    every = [value for values in applicant.latencies.values() for value in values]
    result.facts = {
        "submissions": n,
        "failed": len(errors),
        "first_errors": errors[:5],
        "seconds": round(seconds, 3),
        "latency_ms": {
            kind: _summary(values) for kind, values in {**applicant.latencies, "all": every}.items()
        },
        "rss": rss,
    }
    result.add(
        Row("submissions (create+1 MB+submit)", round((n - len(errors)) / seconds, 2), "/s"),
        Row("requests", round(len(every) / seconds, 1), "/s"),
        Row("latency p50 (all requests)", round(percentile(every, 0.50) * 1000), "ms"),
        Row(
            "latency p95 (all requests)",
            round(percentile(every, 0.95) * 1000),
            "ms",
            Target("<=", 300),
        ),
        Row("latency p99 (all requests)", round(percentile(every, 0.99) * 1000), "ms"),
    )
    for kind in ("create", "upload", "submit"):
        values = applicant.latencies[kind]
        if values:
            result.add(Row(f"  {kind} p95", round(percentile(values, 0.95) * 1000), "ms"))
    result.add(Row("failed submissions", len(errors), "", Target("<=", 0)))
    for size in RSS_SIZES_MB:
        result.add(Row(f"RSS growth, {size} MB upload", rss[f"{size}MB"]["growth_mb"], "MB"))
    result.add(
        Row(
            "RSS growth per MB of upload",
            rss["growth_per_mb"],
            "MB/MB",
            Target("<=", 0.1),
            note="5→50 MB, marginal",
        )
    )
    result.add(
        Row(
            "RSS growth per MB, multipart only",
            rss["multipart_growth_per_mb"],
            "MB/MB",
            note="20→50 MB: both streamed as 5 MiB parts",
        )
    )
    return result


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "count": len(values),
        "p50": round(percentile(values, 0.50) * 1000, 1),
        "p95": round(percentile(values, 0.95) * 1000, 1),
        "p99": round(percentile(values, 0.99) * 1000, 1),
        "max": round(max(values) * 1000, 1),
    }


async def _rss(platform: Platform, headers: dict[str, str], pid: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    growth: dict[int, float] = {}
    async with httpx.AsyncClient(
        base_url=platform.url("intake"), headers=headers, timeout=300
    ) as client:
        await _upload(client, 5 * MB)  # warm: the S3 client's pools and buffers exist from here
        for size_mb in RSS_SIZES_MB:
            hwm_reset = reset_peak_rss(pid)
            before_kb = status_kb(pid, "VmRSS")
            with RssSampler(pid) as sampler:
                status_code = await _upload(client, size_mb * MB)
            hwm_kb = status_kb(pid, "VmHWM")
            growth[size_mb] = round((sampler.peak_kb - before_kb) / 1024, 1)
            figures[f"{size_mb}MB"] = {
                "status": status_code,
                "rss_before_mb": round(before_kb / 1024, 1),
                "rss_peak_mb": round(sampler.peak_kb / 1024, 1),
                "growth_mb": growth[size_mb],
                "vmhwm_growth_mb": round((hwm_kb - before_kb) / 1024, 1) if hwm_reset else None,
            }
    figures["growth_per_mb"] = _slope(growth, RSS_SIZES_MB[0], RSS_SIZES_MB[-1])
    figures["multipart_growth_per_mb"] = _slope(growth, RSS_SIZES_MB[1], RSS_SIZES_MB[-1])
    return figures


def _slope(growth: dict[int, float], small_mb: int, large_mb: int) -> float:
    return round((growth[large_mb] - growth[small_mb]) / (large_mb - small_mb), 3)


async def _upload(client: httpx.AsyncClient, size: int) -> int:
    created = await client.post(
        "/api/applications", json=application_form(group_name=f"内存QC小组-{size}")
    )
    created.raise_for_status()
    application_id = created.json()["application_id"]
    response = await client.post(
        f"/api/applications/{application_id}/files",
        params={"filename": f"大文件-{size}.pdf", "kind": "evidence"},
        headers={"Content-Type": "application/pdf", "Content-Length": str(size)},
        content=streamed_pdf(size),
    )
    if response.status_code != 201:
        raise RuntimeError(f"upload of {size} bytes: {response.status_code} {response.text[:300]}")
    return response.status_code
