"""``python -m bench``: run the benchmarks, print one table, write bench/results/<name>.json."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import BENCHMARKS
from bench.common import RESULTS_DIR, Options, Result, log, machine_info, wait_for_quiet


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="qcflow benchmark suite (issue 8)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, for CI and smoke runs (correctness)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--n",
        action="append",
        default=[],
        metavar="[NAME=]N",
        help="override the main count: of every selected benchmark (N) or of one (NAME=N)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, help="HTTP clients of intake and peak (16)"
    )
    parser.add_argument(
        "--results", type=Path, default=RESULTS_DIR, help="directory for <name>.json"
    )
    return parser.parse_args(argv)


def sizes(values: list[str]) -> tuple[int | None, dict[str, int]]:
    every: int | None = None
    named: dict[str, int] = {}
    for value in values:
        name, _, count = value.rpartition("=")
        if name and name not in BENCHMARKS:
            raise SystemExit(f"--n {value}: unknown benchmark {name!r}")
        if not count.isdigit() or int(count) < 1:
            raise SystemExit(f"--n {value}: expected a positive count")
        if name:
            named[name] = int(count)
        else:
            every = int(count)
    return every, named


def run_one(name: str, options: Options) -> Result:
    module = importlib.import_module(f"bench.{name}")
    # The quick variant checks correctness only: no figure of it is worth waiting for.
    busy = wait_for_quiet(timeout_s=0.0 if options.quick else 120.0)
    started = time.perf_counter()
    result: Result = module.run(options)
    result.seconds = time.perf_counter() - started
    result.cpu_busy_at_start = round(busy, 3)
    result.params["quick"] = options.quick
    result.write(options.results_dir)
    return result


def table(results: list[Result]) -> Table:
    machine = machine_info()
    load = ", ".join(str(value) for value in machine["load_average_1_5_15"])
    out = Table(
        title=f"qcflow bench — {machine['cpu_count']} CPUs, Python {machine['python']}, "
        f"{machine['date']}, load {load}"
    )
    for column in ("benchmark", "metric", "value", "unit", "target", "", "note"):
        out.add_column(column, justify="right" if column == "value" else "left")
    for result in results:
        for row in result.rows:
            verdict = {"PASS": "[green]PASS[/]", "MISS": "[red]MISS[/]"}.get(row.verdict, "")
            out.add_row(
                result.name,
                row.metric,
                str(row.value),
                row.unit,
                str(row.target or ""),
                verdict,
                row.note,
            )
        out.add_section()
    return out


def main(argv: list[str] | None = None) -> int:
    arguments = parse_args(argv)
    every, named = sizes(arguments.n)
    options = Options(
        quick=arguments.quick,
        n=every,
        sizes=named,
        results_dir=arguments.results,
        concurrency=arguments.concurrency,
    )
    selected = arguments.only or list(BENCHMARKS)
    results: list[Result] = []
    failed: list[str] = []
    for name in selected:
        log(f"=== {name}{' (quick)' if options.quick else ''}")
        try:
            results.append(run_one(name, options))
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others
            traceback.print_exc()
            failed.append(name)
    console = Console(width=None if sys.stdout.isatty() else 132)
    if results:
        console.print(table(results))
        console.print(f"results: {options.results_dir}/<name>.json")
        for result in results:
            if result.started_busy:
                console.print(
                    f"[yellow]{result.name} started on a busy machine "
                    f"({result.cpu_busy_at_start:.0%} of the CPUs in use): "
                    "its figures are suspect[/]"
                )
    if failed:
        console.print(f"[red]failed: {', '.join(failed)}[/]")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
