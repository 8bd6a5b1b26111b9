"""The quick variant of the benchmark suite, as CI runs it: correctness only, never timing.

`python -m bench --quick` (render and bus with a handful of events; peak with its 100
applications, scale and intake smaller), each benchmark on its own private infrastructure
(virtual host, databases, S3 server). The figures it prints are not asserted; only that every
event was handled once, every application got its documents and its receipt, and the results
files were written with the machine they were measured on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.__main__ import main

N = 6


def results(directory: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
    return data


def test_quick_render_and_bus_handle_every_event_once(tmp_path: Path):
    status = main(
        ["--quick", "--only", "render", "--only", "bus", "--n", str(N), "--results", str(tmp_path)]
    )

    assert status == 0
    render = results(tmp_path, "render")
    assert render["facts"] | {"worker_start_s": 0} == {
        "events": N,
        "handled_in_inbox": N,
        "documents_recorded": 2 * N,
        "objects_stored": 2 * N,
        "missing_objects": 0,
        "lost": 0,
        "duplicates": 0,
        "document_rendered_events": N,
        "worker_start_s": 0,
    }
    assert {"cpu_count", "python", "date"} <= set(render["machine"])
    assert render["params"]["quick"] is True
    metrics = {row["metric"] for row in render["rows"]}
    assert {"ratio worker / bare", "申报表 pdf, warm median", "申报表 docx, warm median"} <= metrics

    bus = results(tmp_path, "bus")
    assert bus["facts"] == {
        "events": N,
        "outbox_unpublished": 0,
        "handled_in_inbox": N,
        "handler_calls": N,
        "lost": 0,
        "duplicates": 0,
    }
    assert {"ratio relay path / raw", "ratio with the writes / raw"} <= {
        row["metric"] for row in bus["rows"]
    }


def test_quick_peak_scale_and_intake_lose_nothing(tmp_path: Path):
    only = ["--only", "peak", "--only", "scale", "--only", "intake"]
    sizes = ["--n", "scale=20", "--n", "intake=8"]
    status = main(["--quick", *only, *sizes, "--results", str(tmp_path)])

    assert status == 0
    peak = results(tmp_path, "peak")
    assert peak["params"]["n"] == 100
    for figures in peak["facts"]["rounds"].values():
        assert (figures["submitted"], figures["complete"]) == (100, 100)
        assert (figures["lost"], figures["duplicates"], figures["failed_submissions"]) == (0, 0, 0)
        busy = {group for group, seconds in figures["cpu_s"].items() if seconds > 0}
        assert {"render children", "intake", "render", "notify"} <= busy
        shares = figures["render_children"]
        assert shares["on_cpu"] > 0
        assert sum(shares.values()) == pytest.approx(1, abs=0.01)
    assert len(peak["facts"]["single_s"]) == 5
    assert peak["facts"]["bare_render_s"] > 0

    scale = results(tmp_path, "scale")
    for figures in scale["facts"]["rounds"].values():
        assert (figures["backlog"], figures["lost"], figures["duplicates"]) == (20, 0, 0)

    intake = results(tmp_path, "intake")
    assert (intake["facts"]["submissions"], intake["facts"]["failed"]) == (8, 0)
    assert {"5MB", "20MB", "50MB", "growth_per_mb"} <= set(intake["facts"]["rss"])
