"""What every service process runs: database, storage, broker, outbox relay, consumer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import AsyncIterator, Callable, Collection, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from faststream.rabbit import RabbitBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.cancellation import cancel_until_done
from shared.db import SessionMaker, create_engine, create_sessionmaker
from shared.db import transaction as db_transaction
from shared.events import Event
from shared.messaging.broker import BrokerPublisher, create_broker, declare_topology, queue_depths
from shared.messaging.consumer import EventConsumer, Handler, subscribe
from shared.messaging.outbox import OutboxRelay, add_to_outbox, count_pending, wrote_to_outbox
from shared.messaging.tables import MessagingTables
from shared.messaging.topology import SERVICE_QUEUES
from shared.metrics import ServiceMetrics
from shared.settings import Settings
from shared.storage import LocalObjectStore, S3ObjectStore, create_store

log = logging.getLogger(__name__)

BackgroundJob = Callable[[], Coroutine[Any, Any, None]]


@dataclass
class Runtime:
    settings: Settings
    tables: MessagingTables
    engine: AsyncEngine
    sessionmaker: SessionMaker
    store: LocalObjectStore | S3ObjectStore
    broker: RabbitBroker
    relay: OutboxRelay
    metrics: ServiceMetrics
    background_jobs: list[BackgroundJob] = field(default_factory=list)
    # Run after the consumers stopped (their in-flight handlers may still need what they close).
    shutdown_hooks: list[Callable[[], None]] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _autocommit: AsyncEngine = field(init=False)

    def __post_init__(self) -> None:
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @classmethod
    def build(cls, settings: Settings, tables: MessagingTables) -> Runtime:
        engine = create_engine(settings.db_url)
        sessionmaker = create_sessionmaker(engine)
        metrics = ServiceMetrics()
        broker = create_broker(
            settings.amqp_url,
            prefetch=settings.prefetch,
            registry=metrics.registry,
            app_name=f"qcflow-{settings.service}",
            shutdown_grace_s=settings.shutdown_grace_s,
        )
        publisher = BrokerPublisher(broker, timeout_s=settings.publish_timeout_s)
        relay = OutboxRelay(sessionmaker, tables, publisher)
        store = create_store(settings)
        return cls(settings, tables, engine, sessionmaker, store, broker, relay, metrics)

    def consume(self, handlers: Mapping[str, Handler]) -> EventConsumer:
        consumer = EventConsumer(
            self.sessionmaker,
            self.tables,
            handlers,
            wake_relay=self.relay.wake,
            retry_delay=self._retry_delay,
            timer=lambda event_type: self.metrics.handler_seconds.labels(event_type).time(),
        )
        subscribe(self.broker, SERVICE_QUEUES[self.settings.service], consumer)
        return consumer

    def _retry_delay(self, attempt: int) -> float:
        settings = self.settings
        return float(min(settings.retry_base_delay_s * 4**attempt, settings.retry_max_delay_s))

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with db_transaction(self.sessionmaker) as session:
            yield session
        if wrote_to_outbox(session):
            self.relay.wake()

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for answering a request that only reads: no BEGIN and COMMIT round trips.

        The answer is the one a transaction would give: under READ COMMITTED (PostgreSQL's
        default, which every service uses) each statement reads its own snapshot either way.
        Anything written through it would commit statement by statement, so it refuses to flush.
        """
        async with self.sessionmaker(bind=self._autocommit, autoflush=False) as session:
            yield session
            if session.new or session.dirty or session.deleted:
                raise RuntimeError("a reading session holds changes: use transaction()")

    async def publish_later(self, session: AsyncSession, event: Event) -> None:
        await add_to_outbox(session, self.tables, event)

    async def start(self) -> None:
        await self.broker.connect()
        await declare_topology(self.broker)
        if isinstance(self.store, S3ObjectStore):
            await self.store.ensure_bucket()
        await self.broker.start()
        jobs = [self.relay.run, *self.background_jobs]
        self._tasks = [asyncio.create_task(job(), name=job.__qualname__) for job in jobs]

    @property
    def running_jobs(self) -> list[str]:
        """Background jobs still running (after `stop`, the ones that would not stop)."""
        return [task.get_name() for task in self._tasks if not task.done()]

    async def stop(self) -> None:
        """Stop background jobs, consumers (in-flight handlers get the grace period), the pool.

        Every step is bounded: a part that does not finish in time is logged with its stack and
        left behind, so a shutdown never hangs (unacknowledged messages are redelivered).
        """
        left_running = await cancel_until_done(self._tasks, timeout_s=10)
        _log_left_running("background jobs", left_running, timeout_s=10)
        grace = self.settings.shutdown_grace_s + 5
        await _bounded("broker", [asyncio.create_task(self.broker.stop())], timeout_s=grace)
        for hook in self.shutdown_hooks:
            await _bounded(
                hook.__qualname__, [asyncio.create_task(asyncio.to_thread(hook))], timeout_s=10
            )
        await _bounded("database pool", [asyncio.create_task(self.engine.dispose())], timeout_s=10)

    async def readiness(self) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        checks["database"] = await _probe(self._check_database)
        checks["storage"] = await _probe(self.store.check)
        checks["broker"] = await _probe(self._check_broker)
        if checks["broker"] == "ok":
            depths = await queue_depths(self.broker, SERVICE_QUEUES[self.settings.service])
            checks["queue"] = depths
            checks["consumers"] = "ok" if depths["consumers"] > 0 else "no consumer on queue"
            self.metrics.queue_messages.set(depths["messages"])
            self.metrics.queue_consumers.set(depths["consumers"])
            self.metrics.dead_letters.set(depths["dead_letters"])
        if checks["database"] == "ok":
            async with self.transaction() as session:
                checks["outbox_pending"] = await count_pending(session, self.tables)
            self.metrics.outbox_pending.set(checks["outbox_pending"])
        return checks

    async def _check_database(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _check_broker(self) -> None:
        if not await self.broker.ping(timeout=2.0):
            raise ConnectionError("broker not reachable")


async def _bounded(part: str, tasks: list[asyncio.Task[Any]], *, timeout_s: float) -> None:
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=timeout_s)
    _log_left_running(part, pending, timeout_s=timeout_s)


def _log_left_running(part: str, tasks: Collection[asyncio.Task[Any]], *, timeout_s: float) -> None:
    for task in tasks:
        stack = "".join(traceback.format_stack(task.get_stack()[-1])) if task.get_stack() else ""
        log.error("shutdown: %s did not stop within %.0f s; leaving it\n%s", part, timeout_s, stack)


async def _probe(check: Callable[[], Coroutine[Any, Any, None]]) -> str:
    try:
        async with asyncio.timeout(3.0):
            await check()
    except Exception as exc:  # noqa: BLE001 - readiness reports any failure as text
        return f"error: {exc!r}"[:300]
    return "ok"


def is_ready(checks: Mapping[str, Any]) -> bool:
    return all(
        value == "ok"
        for key, value in checks.items()
        if key in {"database", "storage", "broker", "consumers"}
    )
