"""CPU accounting per kind of process, as the peak drill reports it."""

from __future__ import annotations

import os

from bench.cpu import Reading, read, spent


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
