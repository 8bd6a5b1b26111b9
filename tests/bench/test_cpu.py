"""CPU accounting per kind of process, as the peak drill reports it."""

from __future__ import annotations

import multiprocessing
import os

from bench import common, cpu
from bench.cpu import (
    Reading,
    Schedule,
    busy_share,
    machine_ticks,
    process_schedule,
    read,
    schedule_between,
    schedules,
    spent,
    time_shares,
)


def test_spent_counts_what_each_group_used_between_the_readings():
    before = Reading({10: ("intake", 5.0), 11: ("render children", 1.0), 12: ("notify", 9.0)})
    after = Reading(
        {
            10: ("intake", 7.5),  # used 2.5 s
            11: ("render children", 4.0),  # used 3.0 s
            13: ("render children", 0.5),  # started meanwhile: all of it
            12: ("S3 server (moto)", 0.5),  # notify's pid reused by another process
        }
    )
    assert spent(before, after) == {
        "render children": 3.5,
        "intake": 2.5,
        "S3 server (moto)": 0.5,
    }


def test_read_finds_this_process_as_the_bench():
    group, seconds = read().seconds[os.getpid()]
    assert group == "bench (clients, watcher, mail sink)"
    assert seconds > 0


def test_busy_share_is_the_busy_part_of_all_cpus_time_between_two_readings():
    # user nice system idle iowait irq softirq steal guest guest_nice
    before = machine_ticks("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3\n")
    after = machine_ticks("cpu  160 0 70 900 70 0 0 0 0 0\ncpu0 1 2 3\n")
    assert before == (150, 1000)
    assert busy_share(before, after) == 80 / 200  # idle and iowait are not busy


def test_a_busy_machine_is_waited_for_and_named(monkeypatch):
    shares = iter([0.9, 0.6, 0.05])
    monkeypatch.setattr(cpu, "busy_share", lambda _before, _after: next(shares))
    assert common.wait_for_quiet(window_s=0.0) == 0.05

    monkeypatch.setattr(cpu, "busy_share", lambda _before, _after: 0.9)
    assert common.wait_for_quiet(timeout_s=0.0, window_s=0.0) == 0.9  # gives up, tells


def test_a_result_started_on_a_busy_machine_says_so():
    result = common.Result("render", cpu_busy_at_start=0.5)
    assert result.started_busy
    assert result.to_json()["cpu_busy_at_start"] == 0.5
    assert not common.Result("render", cpu_busy_at_start=0.02).started_busy


def test_a_process_schedule_adds_up_its_threads(tmp_path):
    # /proc/<pid>/task/<tid>/schedstat: ns on a CPU, ns runnable waiting for one, timeslices
    for tid, line in ((101, "3000 500 7\n"), (102, "1000 250 2\n")):
        (tmp_path / str(tid)).mkdir()
        (tmp_path / str(tid) / "schedstat").write_text(line)
    assert process_schedule(tmp_path) == Schedule(on_cpu_ns=4000, runnable_ns=750, turns=9)


def test_time_shares_split_the_wall_time_into_on_a_cpu_waiting_for_one_and_idle():
    before = {7: Schedule(1_000_000_000, 0)}
    after = {
        7: Schedule(7_000_000_000, 2_000_000_000),  # 6 s on a CPU, 2 s waiting, of 10 s
        8: Schedule(4_000_000_000, 4_000_000_000),  # started meanwhile: counts from 0
    }
    got = schedule_between(before, after)
    assert time_shares(got, len(after), wall_s=10.0) == {
        "on_cpu": 0.5,
        "waiting_for_cpu": 0.3,
        "idle": 0.2,
    }


def test_schedule_between_counts_the_turns_each_process_got_meanwhile():
    before = {7: Schedule(0, 0, turns=100)}
    after = {7: Schedule(0, 0, turns=130), 8: Schedule(0, 0, turns=12)}  # 8 started meanwhile
    assert schedule_between(before, after).turns == 42


def test_schedules_find_a_spawned_child_that_burns_a_cpu():
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        pool.apply(sum, (range(3_000_000),))
        child_pid = pool.apply(os.getpid)
        found = schedules(read())
    assert found[child_pid].on_cpu_ns > 0
    assert os.getpid() not in found  # the bench process is not a render child
