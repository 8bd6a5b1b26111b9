"""Where services share cores, the requests people wait on come first.

At a deadline every service may run on one modest machine. Work nobody is waiting on at that
moment (drawing documents, sending receipts, filing submissions for reviewers) runs at a lower
CPU priority, so applicants' answers from intake do not queue behind it. A priority only
matters while the cores are contended: on an idle machine nothing waits.
"""

from __future__ import annotations

import os

BACKGROUND_NICENESS = 10


def lower_cpu_priority(niceness: int) -> int:
    """Run this process at `niceness` or lower priority; returns the niceness it now has.

    Only ever lowers: raising a priority needs privileges a service does not have. Call it
    before threads start: on Linux a thread keeps the niceness it was created with.
    """
    current = os.nice(0)
    if niceness > current:
        return os.nice(niceness - current)
    return current
