"""Two transactions at once, as two replicas (or two messages in flight) would run them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncSession

Step = Callable[[AsyncSession], Awaitable[object]]
Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]


async def run_overlapping(
    transaction: Transaction, first: Step, second: Step, *, hold_s: float = 0.5
) -> bool:
    """Run `second` while `first`'s transaction is still open; True if `second` waited for it.

    Both must succeed: an error in either is raised here.
    """
    first_wrote, first_may_end = asyncio.Event(), asyncio.Event()

    async def run_first() -> None:
        async with transaction() as session:
            await first(session)
            await session.flush()
            first_wrote.set()
            await first_may_end.wait()

    async def run_second() -> None:
        await first_wrote.wait()
        async with transaction() as session:
            await second(session)

    first_task = asyncio.create_task(run_first())
    second_task = asyncio.create_task(run_second())
    wrote = asyncio.create_task(first_wrote.wait())
    await asyncio.wait([first_task, wrote], timeout=30, return_when=asyncio.FIRST_COMPLETED)
    wrote.cancel()
    await asyncio.sleep(hold_s)
    waited = not second_task.done()
    first_may_end.set()
    await asyncio.gather(first_task, second_task)
    return waited
