"""Background loops that stop when told to, even when a library lost the cancellation.

Cancelling a task raises CancelledError at its next await, but a library may catch that one
and carry on: in Python 3.11 `asyncio.wait_for` (aiosmtplib waits with it) returns the awaited
result and drops the cancellation when both arrive together. Seen here: notify's dispatcher
outlived 4-5 of 60 stops. The task is still marked as cancelling, so loops ask
`cancel_requested()` each round and `cancel_until_done` repeats the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

RECANCEL_EVERY_S = 0.5


def cancel_requested() -> bool:
    """True once the running task was cancelled, whether or not CancelledError reached it."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def cancel_until_done(
    tasks: Collection[asyncio.Task[Any]], *, timeout_s: float
) -> set[asyncio.Task[Any]]:
    """Cancel, and cancel again while any task goes on; the ones still running at the end."""
    pending = {task for task in tasks if not task.done()}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while pending and (left := deadline - loop.time()) > 0:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=min(RECANCEL_EVERY_S, left))
    return pending
