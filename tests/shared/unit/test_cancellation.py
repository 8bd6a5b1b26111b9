"""Stopping background loops when a library lost the cancellation on its way up."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from services.notify.channels import Channels
from services.notify.dispatcher import DeliveryDispatcher
from shared.cancellation import cancel_requested, cancel_until_done


async def swallow_one_cancellation() -> None:
    """What Python 3.11's asyncio.wait_for does when the result and the cancel land together."""
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(10)


async def job_that_drops_a_cancel() -> None:
    await swallow_one_cancellation()
    while True:
        await asyncio.sleep(0.01)


async def test_one_cancel_is_not_enough_for_a_job_that_drops_it():
    task = asyncio.create_task(job_that_drops_a_cancel())
    await asyncio.sleep(0)
    task.cancel()
    _, pending = await asyncio.wait([task], timeout=0.5)
    assert pending == {task}
    assert await cancel_until_done([task], timeout_s=5) == set()
    assert task.cancelled()


async def test_cancel_until_done_reports_what_would_not_stop():
    async def deaf() -> None:
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(deaf())
    await asyncio.sleep(0)
    assert await cancel_until_done([task], timeout_s=1.2) == {task}
    task.uncancel()
    task.get_coro().close()


async def test_cancel_requested_sees_a_cancellation_that_never_raised():
    seen: list[bool] = []

    async def job() -> None:
        seen.append(cancel_requested())
        await swallow_one_cancellation()
        seen.append(cancel_requested())

    task = asyncio.create_task(job())
    await asyncio.sleep(0)
    task.cancel()
    await task
    assert seen == [False, True]


class SwallowingDispatcher(DeliveryDispatcher):
    rounds = 0

    async def dispatch_due(self) -> int:
        self.rounds += 1
        await swallow_one_cancellation()
        return 0


async def test_the_delivery_loop_ends_after_a_dropped_cancellation():
    runtime: Any = None  # dispatch_due is replaced: the loop never reaches the runtime
    dispatcher = SwallowingDispatcher(runtime, Channels.__new__(Channels), interval_s=0.01)
    task = asyncio.create_task(dispatcher.run())
    await asyncio.sleep(0.05)
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=5)
    assert done == {task}
    assert dispatcher.rounds == 1
