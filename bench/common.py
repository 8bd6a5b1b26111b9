"""What every benchmark shares: rows and targets, machine facts, results files, infrastructure.

Infrastructure is always private to one run: its own RabbitMQ virtual host, its own PostgreSQL
databases and its own S3 server (moto, in a child process so that it never competes with the
code being measured for the GIL), all removed at the end. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.synchronize import Event as EventFlag
from pathlib import Path
from typing import Any, Literal, Self, TypeVar

from bench import cpu
from shared.events import (
    Applicant,
    ApplicationForm,
    ApplicationSubmitted,
    GroupMember,
    MemberRole,
    TargetKind,
    TopicType,
)
from shared.settings import Settings
from tests.support.infra import ROOT, create_vhost, delete_vhost, drop_database, psql
from tests.support.s3 import S3Server

RESULTS_DIR = Path(__file__).resolve().parent / "results"
PG_HOST = "127.0.0.1:5432"
AMQP_HOST = "127.0.0.1:5672"
QUIET_BELOW = 0.15  # share of all CPUs busy, measured over a second, before a benchmark starts
T = TypeVar("T")


# --- rows, targets, results -------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    op: Literal[">=", "<="]
    bound: float

    def met(self, value: float) -> bool:
        return value >= self.bound if self.op == ">=" else value <= self.bound

    def __str__(self) -> str:
        return f"{'≥' if self.op == '>=' else '≤'} {self.bound:g}"


@dataclass
class Row:
    metric: str
    value: float | int | str
    unit: str = ""
    target: Target | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        if not isinstance(self.value, int | float):
            return "MISS"
        return "PASS" if self.target.met(float(self.value)) else "MISS"

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "value": self.value,
            "unit": self.unit,
            "target": str(self.target) if self.target else None,
            "verdict": self.verdict or None,
            "note": self.note,
        }


@dataclass
class Result:
    name: str
    rows: list[Row] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    load_at_start: tuple[float, ...] = field(default_factory=os.getloadavg)
    cpu_busy_at_start: float | None = None  # share of all CPUs, see `wait_for_quiet`
    seconds: float = 0.0

    @property
    def started_busy(self) -> bool:
        return self.cpu_busy_at_start is not None and self.cpu_busy_at_start >= QUIET_BELOW

    def add(self, *rows: Row) -> None:
        self.rows.extend(rows)

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.name,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 3),
            "load_average_at_start": [round(value, 2) for value in self.load_at_start],
            "cpu_busy_at_start": self.cpu_busy_at_start,
            "machine": machine_info(),
            "params": self.params,
            "facts": self.facts,
            "rows": [row.as_dict() for row in self.rows],
        }

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.name}.json"
        path.write_text(
            json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        return path


@dataclass(frozen=True)
class Options:
    quick: bool = False
    n: int | None = None  # overrides the main count of every selected benchmark
    results_dir: Path = RESULTS_DIR
    concurrency: int = 16  # HTTP clients of `intake` and `peak` (the drill's concurrency)
    sizes: dict[str, int] = field(default_factory=dict)  # per benchmark, over `n`

    def count(self, name: str, *, full: int, quick: int) -> int:
        if name in self.sizes:
            return self.sizes[name]
        if self.n is not None:
            return self.n
        return quick if self.quick else full


def usable_cores() -> int:
    """The CPUs this process may run on (its affinity), which its children inherit."""
    return len(os.sched_getaffinity(0))


def machine_info() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": usable_cores(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_1_5_15": [round(value, 2) for value in load],
        "memory_total_mb": _memory_total_mb(),
        "commit": _git("rev-parse", "HEAD"),
        # Earlier benchmarks' result files do not make the code under test dirty.
        "dirty_worktree": bool(
            _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results")
        ),
    }


def _memory_total_mb() -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return None


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


# --- timing -----------------------------------------------------------------------------------


def median_time(action: Callable[[], object], repeat: int, *, warm: int = 1) -> float:
    for _ in range(warm):
        action()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation), of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def wait_until(
    predicate: Callable[[], T], *, timeout_s: float, interval_s: float = 0.2, what: str = ""
) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not met within {timeout_s:.0f} s: {what}")
        time.sleep(interval_s)


def wait_for_quiet(*, timeout_s: float = 120.0, window_s: float = 1.0) -> float:
    """Wait until the CPUs were mostly idle for a second; returns the last busy share measured.

    A benchmark started while a test run, a build or the previous benchmark's tear-down still
    holds the cores measures them, not the platform: the `intake` result of one full run
    (p95 339 ms, rerun 249 ms) was taken that way. The share goes into the result either way.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        before = cpu.machine_ticks()
        time.sleep(window_s)
        share = cpu.busy_share(before, cpu.machine_ticks())
        if share < QUIET_BELOW or time.monotonic() > deadline:
            return share
        log(f"waiting for a quiet machine: {share:.0%} of the CPUs busy")


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- the forms and events rendered ------------------------------------------------------------

UNIT_NAME = "西藏自治区质量协会"
_SURNAMES = ("朗杰", "卓玛", "次仁", "扎西", "央金", "格桑", "德吉", "平措")


def form(index: int, *, members: int | None = None) -> ApplicationForm:
    """A realistic 申报表: 3–8 members, a summary of a few hundred characters, unique names."""
    count = members if members is not None else 3 + index % 6
    return ApplicationForm(
        recommending_unit_name=UNIT_NAME,
        enterprise_name="国网西藏电力有限公司拉萨供电公司",
        group_name=f"雪域先锋QC小组-{index:05d}",
        topic_name="降低配电网线路故障停电时长",
        topic_type=TopicType.PROBLEM_SOLVING if index % 2 == 0 else TopicType.INNOVATION,
        target_kind=TargetKind.SELF_SET if index % 2 == 0 else None,
        address="西藏自治区拉萨市城关区罗布林卡路21号",
        postal_code="850000",
        contact_department="运维检修部",
        contact_person="朗杰",
        mobile="13908901234",
        members=tuple(
            GroupMember(
                name=f"{_SURNAMES[m % len(_SURNAMES)]}{m}",
                role=MemberRole.LEADER if m == 0 else MemberRole.MEMBER,
                gender="女" if m % 2 else "男",
                title="工程师",
                department=f"运维检修{m}班",
            )
            for m in range(count)
        ),
        summary="小组围绕配电网故障停电时长开展现状调查、原因分析和对策实施，"
        "故障平均停电时长由112分钟降至46分钟，年减少停电损失约120万元。" * 4,
    )


def submitted(application_form: ApplicationForm) -> ApplicationSubmitted:
    return ApplicationSubmitted(
        application_id=uuid.uuid4(),
        revision=1,
        unit_id="xizang",
        enterprise_id="xz-power",
        applicant=Applicant(user_id="bench", name="朗杰", email="bench@example.com"),
        form=application_form,
        evidence=(),
        submitted_at=datetime.now(UTC),
    )


def bare_render(forms: list[ApplicationForm]) -> float:
    """Seconds to render pdf + docx of each form with the renderers alone, in this process."""
    from services.render.renderers.docx import render_application_form_docx  # noqa: PLC0415
    from services.render.renderers.pdf import PdfRenderer  # noqa: PLC0415

    renderer = _bare_renderer(PdfRenderer)
    started = time.perf_counter()
    for item in forms:
        renderer.render_application_form(item)
        render_application_form_docx(item)
    return time.perf_counter() - started


_RENDERERS: dict[str, Any] = {}


def _bare_renderer(factory: Callable[[], T]) -> T:
    """One warm PdfRenderer per process, as a render worker has."""
    if "pdf" not in _RENDERERS:
        renderer = factory()
        _RENDERERS["pdf"] = renderer
        from services.render.renderers.docx import render_application_form_docx  # noqa: PLC0415

        renderer.render_application_form(form(0))  # type: ignore[attr-defined]
        render_application_form_docx(form(0))
    found: T = _RENDERERS["pdf"]
    return found


# --- infrastructure ---------------------------------------------------------------------------


@dataclass
class ChildChannel:
    """Signals between a benchmark and the part of it that runs in a child process."""

    ready: EventFlag
    done: EventFlag
    stop: EventFlag
    results: multiprocessing.Queue[Any]


class ChildProcess:
    """Runs `target(channel, *args)` in a spawned process: a service's share of a benchmark.

    Leaving the block asks the child to stop and joins it (killed after a minute).
    """

    def __init__(self, target: Callable[..., None], *args: object) -> None:
        context = multiprocessing.get_context("spawn")
        self.channel = ChildChannel(
            context.Event(), context.Event(), context.Event(), context.Queue()
        )
        self._process = context.Process(target=target, args=(self.channel, *args), daemon=True)

    def __enter__(self) -> Self:
        self._process.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.channel.stop.set()
        self._process.join(timeout=60)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

    async def wait_ready(self) -> None:
        await self._wait(self.channel.ready, "ready")

    async def wait_done(self) -> None:
        await self._wait(self.channel.done, "done")

    def result(self) -> Any:  # noqa: ANN401 - whatever the child sends
        """Asks the child to stop and returns what it sends back."""
        self.channel.stop.set()
        return self.channel.results.get(timeout=120)

    async def _wait(self, flag: EventFlag, what: str) -> None:
        while not await asyncio.to_thread(flag.wait, 0.5):
            if not self._process.is_alive():
                raise RuntimeError(f"child process exited ({self._process.exitcode}) before {what}")


def run_id() -> str:
    return uuid.uuid4().hex[:8]


@contextlib.contextmanager
def vhost(name: str) -> Iterator[str]:
    """A RabbitMQ virtual host of this run's own, deleted with everything in it."""
    create_vhost(name)
    try:
        yield name
    finally:
        delete_vhost(name)


def amqp_url(vhost_name: str) -> str:
    return f"amqp://guest:guest@{AMQP_HOST}/{vhost_name}"


def database_url(database: str) -> str:
    return f"postgresql+asyncpg://root@{PG_HOST}/{database}"


@contextlib.contextmanager
def database(name: str) -> Iterator[str]:
    """A fresh PostgreSQL database; yields its SQLAlchemy URL and drops it afterwards."""
    psql(f"CREATE DATABASE {name}")
    try:
        yield database_url(name)
    finally:
        drop_database(name)


def service_settings(
    service: Literal["intake", "review", "render", "notify"],
    *,
    amqp: str,
    database: str,
    data_dir: Path,
    s3: S3Server | None = None,
    bucket: str = "qcflow-bench",
) -> Settings:
    values: dict[str, Any] = {
        "service": service,
        "amqp_url": amqp,
        "database_url": database,
        "data_dir": data_dir,
        "auth_secret": "bench-secret-for-this-run-only-0123456789",
    }
    if s3 is not None:
        values |= {
            "storage_backend": "s3",
            "s3_endpoint": s3.endpoint,
            "s3_access_key": "testing",
            "s3_secret_key": "testing",
            "s3_bucket": bucket,
        }
    else:
        values["storage_backend"] = "local"
    return Settings.model_validate(values)
