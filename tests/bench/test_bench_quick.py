"""The quick variant of the benchmark suite, as CI runs it: correctness only, never timing.

`python -m bench --quick --only render --only bus` with a handful of events, each benchmark on
its own private infrastructure (virtual host, databases, S3 server). The figures it prints are
not asserted; only that every event was handled once, the documents exist and the results
files were written with the machine they were measured on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
    assert "ratio project / raw" in {row["metric"] for row in bus["rows"]}
