"""Where documents are drawn: in a child process of their own (the default), or on one thread.

Rendering is CPU-bound Python. On a thread it competes for the GIL with everything the event
loop does for the other messages in flight (inbox, uploads, commits, the outbox relay); in a
child process the two run on two cores (bench `render`: ratio to the bare loop 0.80 on a
thread, 0.95 in a child). Either way one document is drawn at a time, with warm renderers.
"""

from __future__ import annotations

import asyncio
import contextvars
import ctypes
import functools
import gc
import logging
import multiprocessing
import os
import signal
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol

from services.render.renderers.bundle import Format, Renderers
from shared.memory import leave_live_objects_out_of_collections
from shared.priority import BACKGROUND_NICENESS, lower_cpu_priority

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class RenderCall:
    """A method of `Renderers` and its arguments: picklable, so a child process can run it."""

    method: str
    args: tuple[Any, ...]

    def run(self, renderers: Renderers) -> dict[Format, bytes]:
        drawn: dict[Format, bytes] = getattr(renderers, self.method)(*self.args)
        return drawn


class RenderProcessLostError(Exception):
    """The child process died mid-document (killed, out of memory): worth another try."""


class RenderWorker(Protocol):
    async def render(self, call: RenderCall) -> dict[Format, bytes]: ...

    async def warm_up(self) -> None: ...

    def close(self) -> None: ...


class ThreadRenderWorker:
    def __init__(self, renderers: Renderers) -> None:
        self._renderers = renderers
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="render")

    async def render(self, call: RenderCall) -> dict[Format, bytes]:
        context = contextvars.copy_context()  # the correlation id, for the renderers' log lines
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, context.run, call.run, self._renderers)

    async def warm_up(self) -> None:
        """Nothing to start: the renderers were built with this worker."""

    def close(self) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)


class ProcessRenderWorker:
    """One warm child process; a child that dies is replaced and its document retried."""

    def __init__(self, public_url: str) -> None:
        self._public_url = public_url
        self._pool: Executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=1,
            # spawn, not fork: this process runs threads (event loop helpers, S3 uploads).
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_child,
            initargs=(self._public_url,),
        )

    async def render(self, call: RenderCall) -> dict[Format, bytes]:
        loop = asyncio.get_running_loop()
        pool = self._pool
        try:
            return await loop.run_in_executor(pool, _render_in_child, call)
        except BrokenProcessPool as exc:
            if self._pool is pool:  # the first of the documents in flight to notice replaces it
                log.exception("render child process died; starting a new one")
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._start()
            raise RenderProcessLostError(str(exc)) from exc

    async def warm_up(self) -> None:
        """Start the child (and its renderers) now, not with the first document after a deploy."""
        log.info("render child process %s ready", await self.child_pid())

    async def child_pid(self) -> int:
        """The process drawing the documents now (for operators and the tests)."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, os.getpid)

    async def child_frozen_objects(self) -> int:
        """Objects the child leaves out of garbage collections: none before its first document."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, gc.get_freeze_count)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def create_render_worker(*, in_child_process: bool, public_url: str) -> RenderWorker:
    if in_child_process:
        return ProcessRenderWorker(public_url)
    from services.render.renderers.pdf import PdfRenderer  # noqa: PLC0415 - loads WeasyPrint

    return ThreadRenderWorker(Renderers(pdf=PdfRenderer(), public_url=public_url))


_CHILD_RENDERERS: Renderers | None = None


def _start_child(public_url: str) -> None:
    """In the child: die with the service, then build the renderers once (fonts, templates)."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # Ctrl-C in `make run` reaches the whole process group: the service shuts its child down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Documents wait in a queue; people wait on HTTP answers. Where both share cores, the
    # drawing yields to the services' request handling.
    lower_cpu_priority(BACKGROUND_NICENESS)
    from services.render.renderers.pdf import PdfRenderer  # noqa: PLC0415 - in the child only

    global _CHILD_RENDERERS  # noqa: PLW0603 - one set of warm renderers per child process
    _CHILD_RENDERERS = Renderers(pdf=PdfRenderer(), public_url=public_url)


def _render_in_child(call: RenderCall) -> dict[Format, bytes]:
    if _CHILD_RENDERERS is None:
        raise RuntimeError("render child process not initialised")
    drawn = call.run(_CHILD_RENDERERS)
    _freeze_warm_heap_once()
    return drawn


@functools.cache
def _freeze_warm_heap_once() -> None:
    """Once the first document warmed the fonts and stylesheets, keep them out of collections.

    Remembered here, not asked of the collector: `gc.get_freeze_count()` walks every frozen
    object, 24 ms a call in a service's child (235,000 objects), more than a docx takes.
    """
    leave_live_objects_out_of_collections()
