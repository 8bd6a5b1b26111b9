"""At a deadline the services share cores: work nobody waits on yields them to intake."""

from __future__ import annotations

import os
from pathlib import Path

from shared.priority import BACKGROUND_NICENESS
from tests.support.platform import Platform


def thread_niceness(pid: int) -> set[int]:
    """The niceness of every thread of a process (Linux keeps one per thread)."""
    return {
        int((task / "stat").read_text().rsplit(")", 1)[1].split()[16])
        for task in Path(f"/proc/{pid}/task").iterdir()
    }


def test_notify_and_review_run_every_thread_below_intake_and_render(platform: Platform) -> None:
    own = os.getpriority(os.PRIO_PROCESS, 0)
    expected = {
        "intake": own,
        "render": own,
        "notify": max(own, BACKGROUND_NICENESS),
        "review": max(own, BACKGROUND_NICENESS),
    }

    found = {
        service: thread_niceness(process.pid) for service, process in platform.processes.items()
    }

    assert found == {service: {niceness} for service, niceness in expected.items()}
