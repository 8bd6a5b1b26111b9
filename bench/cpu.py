"""CPU seconds per kind of process on this machine between two readings of /proc.

Where a drill's time goes on a machine whose cores it saturates: the render children, each
service, the S3 server, RabbitMQ, PostgreSQL and the benchmark itself (HTTP clients, watcher,
mail sink). A process that ends between the readings is not counted; the platform's processes
and PostgreSQL's pooled backends live through a drill.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
_OWN_PID = os.getpid()
RENDER_CHILDREN = "render children"

GROUPS: tuple[tuple[str, Callable[[int, str], bool]], ...] = (
    (RENDER_CHILDREN, lambda _pid, cmd: "multiprocessing.spawn" in cmd),
    *(
        (service, lambda _pid, cmd, service=service: f"services.cli serve {service}" in cmd)
        for service in ("intake", "review", "render", "notify")
    ),
    ("S3 server (moto)", lambda _pid, cmd: "moto.server" in cmd),
    ("RabbitMQ", lambda _pid, cmd: "beam.smp" in cmd),
    ("PostgreSQL", lambda _pid, cmd: cmd.startswith("postgres")),
    ("bench (clients, watcher, mail sink)", lambda pid, _cmd: pid == _OWN_PID),
)


@dataclass(frozen=True)
class Reading:
    seconds: dict[int, tuple[str, float]]  # pid: (group, CPU seconds so far)


def read() -> Reading:
    seconds: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        group = next((name for name, matches in GROUPS if matches(pid, cmd)), "other")
        fields = stat.rpartition(")")[2].split()
        user, system = int(fields[11]), int(fields[12])
        seconds[pid] = (group, (user + system) / _TICKS_PER_S)
    return Reading(seconds)


def spent(before: Reading, after: Reading) -> dict[str, float]:
    """CPU seconds per group between the readings, largest first."""
    by_group: defaultdict[str, float] = defaultdict(float)
    for pid, (group, seconds) in after.seconds.items():
        earlier = before.seconds.get(pid)
        by_group[group] += seconds - (earlier[1] if earlier and earlier[0] == group else 0.0)
    largest_first = sorted(by_group.items(), key=lambda item: item[1], reverse=True)
    return {group: round(seconds, 1) for group, seconds in largest_first}


# --- did the render children wait for a CPU, or for work? -------------------------------------


@dataclass(frozen=True)
class Schedule:
    """A process's threads since it started, from schedstat.

    Nanoseconds on a CPU, nanoseconds runnable but waiting for one, and turns on a CPU (each
    preemption or wait for work ends a turn).
    """

    on_cpu_ns: int
    runnable_ns: int
    turns: int = 0


def schedules(reading: Reading, group: str = RENDER_CHILDREN) -> dict[int, Schedule]:
    """From /proc/<pid>/task/*/schedstat, for the processes of one group in a `read()`."""
    found: dict[int, Schedule] = {}
    for pid, (pid_group, _seconds) in reading.seconds.items():
        if pid_group != group:
            continue
        try:
            found[pid] = process_schedule(Path(f"/proc/{pid}/task"))
        except OSError:  # ended meanwhile
            continue
    return found


def process_schedule(tasks: Path) -> Schedule:
    on_cpu = runnable = turns = 0
    for task in tasks.iterdir():
        ran, waited, timeslices = (task / "schedstat").read_text().split()
        on_cpu += int(ran)
        runnable += int(waited)
        turns += int(timeslices)
    return Schedule(on_cpu, runnable, turns)


def schedule_between(before: dict[int, Schedule], after: dict[int, Schedule]) -> Schedule:
    """What the processes got between the readings, together; one started meanwhile from 0."""
    zero = Schedule(0, 0)
    deltas = [(s, before.get(pid, zero)) for pid, s in after.items()]
    return Schedule(
        on_cpu_ns=sum(now.on_cpu_ns - then.on_cpu_ns for now, then in deltas),
        runnable_ns=sum(now.runnable_ns - then.runnable_ns for now, then in deltas),
        turns=sum(now.turns - then.turns for now, then in deltas),
    )


def time_shares(got: Schedule, processes: int, wall_s: float) -> dict[str, float]:
    """Shares of the processes' wall time, together.

    On a CPU; waiting for one (runnable, but the scheduler ran something else); or idle
    (waiting for work or I/O).
    """
    wall_ns = wall_s * 1e9 * max(processes, 1)
    return {
        "on_cpu": round(got.on_cpu_ns / wall_ns, 3),
        "waiting_for_cpu": round(got.runnable_ns / wall_ns, 3),
        "idle": round(max(0.0, 1 - (got.on_cpu_ns + got.runnable_ns) / wall_ns), 3),
    }


# --- is the machine quiet? ----------------------------------------------------------------------

# /proc/stat's first line, in clock ticks since boot: user nice system idle iowait irq softirq steal
_IDLE_FIELDS = (3, 4)  # idle, iowait


def machine_ticks(stat_text: str | None = None) -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat."""
    text = stat_text if stat_text is not None else Path("/proc/stat").read_text()
    fields = [int(value) for value in text.split("\n", 1)[0].split()[1:9]]
    idle = sum(fields[index] for index in _IDLE_FIELDS)
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The share of all CPUs' time that was busy between two `machine_ticks` readings."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total > 0 else 0.0
