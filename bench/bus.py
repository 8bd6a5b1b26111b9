"""`bus`: events/s through the project's publish path against raw aio-pika on the same broker.

Project path: the `OutboxRelay` of one `Runtime` (persistent, mandatory, confirmed) publishes
outbox rows, the real topology routes them, and another `Runtime`'s `EventConsumer` records
each in its inbox in PostgreSQL and calls a no-op handler. Two timed phases of N/2 events each:

1. relay → inbox (the issue's path): the rows are committed in one transaction; time runs from
   that commit until every event is in the inbox;
2. with the writes: each row is written with `add_to_outbox` in its own transaction (like N/2
   use cases, four at a time); time runs from the first write until every event is in the inbox.

`evidence.stored` is used because it is bound to one queue only (review's), so the broker does
the same work per message as in the baseline.

Baseline: the same N bodies published with raw aio-pika (persistent, mandatory, publisher
confirms, one at a time like the relay) to a quorum queue with the same arguments, and a raw
consumer acking each (same prefetch). Run as two halves, before and after the project path.

In both, the consumer runs in a process of its own and the publisher in this one, as a
publishing and a consuming service are deployed: on one event loop, each event's relay and
consumer work would take turns on one core.
"""

from __future__ import annotations

import asyncio
import collections
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bench.common import (
    ChildChannel,
    ChildProcess,
    Options,
    Result,
    Row,
    Target,
    amqp_url,
    database,
    log,
    run_id,
    service_settings,
    vhost,
)
from shared.db import create_engine
from shared.events import EvidenceFile, EvidenceStored
from shared.messaging.outbox import add_to_outbox
from shared.messaging.tables import MessagingTables, define_messaging_tables
from shared.messaging.topology import SERVICE_QUEUES
from shared.runtime import Runtime

NAME = "bus"
EVENT_TYPE = "evidence.stored"
WRITERS = 4
PHASE_TIMEOUT_S = 900.0
RAW_EXCHANGE = "bench.raw"
RAW_QUEUE = "bench.raw"
RELAY_BATCH = 100  # `OutboxRelay`'s batch: its publishes are confirmed together
UNPUBLISHED_SQL = "SELECT count(*) FROM outbox WHERE published_at IS NULL"


def run(options: Options) -> Result:
    n = options.count(NAME, full=2000, quick=200)
    events = [_event(index) for index in range(n)]
    ident = run_id()
    result = Result(NAME, params={"n": n, "event_type": EVENT_TYPE, "writers": WRITERS})
    with (
        vhost(f"qcflow-bench-{ident}") as vhost_name,
        database(f"qcflow_bench_{ident}_pub") as pub_url,
        database(f"qcflow_bench_{ident}_sub") as sub_url,
        tempfile.TemporaryDirectory(prefix="qcflow-bench-") as tmp,
    ):
        url = amqp_url(vhost_name)
        half = n // 2
        raw_seconds = _raw_halves(url, events[:half])
        log(f"bus: outbox → relay → RabbitMQ → consumer with inbox ({n})")
        project_seconds, facts = asyncio.run(_project(url, pub_url, sub_url, Path(tmp), events))
        for batch, seconds in _raw_halves(url, events[half:]).items():
            raw_seconds[batch] += seconds
    raw_rate = n / raw_seconds[1]
    batched_raw_rate = n / raw_seconds[RELAY_BATCH]
    with_writes_rate = half / project_seconds["with_writes"]
    relay_rate = (n - half) / project_seconds["relay_to_inbox"]
    result.facts = facts
    result.add(
        Row("raw aio-pika, one confirm at a time", round(raw_rate, 1), "events/s"),
        Row(
            f"raw aio-pika, {RELAY_BATCH} confirms together", round(batched_raw_rate, 1), "events/s"
        ),
        Row("relay→RabbitMQ→consumer+inbox", round(relay_rate, 1), "events/s"),
        Row("ratio relay path / raw", round(relay_rate / raw_rate, 3), "", Target(">=", 0.8)),
        Row("ratio relay path / raw batched", round(relay_rate / batched_raw_rate, 3)),
        Row("outbox writes→…→inbox", round(with_writes_rate, 1), "events/s"),
        Row("ratio with the writes / raw", round(with_writes_rate / raw_rate, 3)),
        Row("lost", facts["lost"], "", Target("<=", 0)),
        Row("duplicates", facts["duplicates"], "", Target("<=", 0)),
    )
    return result


def _event(index: int) -> EvidenceStored:
    return EvidenceStored(
        application_id=uuid.uuid4(),
        unit_id="xizang",
        file=EvidenceFile(
            file_id=uuid.uuid4(),
            kind="evidence",
            filename=f"活动记录-{index}.pdf",
            content_type="application/pdf",
            size=1024 * 1024,
            sha256="0" * 64,
            storage_key=f"evidence/{index}.pdf",
        ),
    )


def _raw_halves(url: str, events: list[EvidenceStored]) -> dict[int, float]:
    """Seconds of the raw path for these events, one confirm at a time and a batch at a time."""
    seconds: dict[int, float] = {}
    for batch in (1, RELAY_BATCH):
        log(f"bus: raw aio-pika, {len(events)} events, {batch} confirm(s) at a time")
        seconds[batch] = asyncio.run(_raw(url, events, prefetch=8, batch=batch))
    return seconds


async def _raw(url: str, events: list[EvidenceStored], *, prefetch: int, batch: int) -> float:
    messages = [
        aio_pika.Message(
            event.model_dump_json().encode(),
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=str(event.event_id),
            content_type="application/json",
            type=EVENT_TYPE,
        )
        for event in events
    ]
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(
            RAW_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(
            RAW_QUEUE, durable=True, arguments=SERVICE_QUEUES["review"].arguments
        )
        await queue.bind(exchange, routing_key=EVENT_TYPE)
        with ChildProcess(_raw_consumer, url, len(messages), prefetch) as consumer:
            await consumer.wait_ready()
            started = time.perf_counter()
            for first in range(0, len(messages), batch):
                await asyncio.gather(
                    *(
                        exchange.publish(message, routing_key=EVENT_TYPE, mandatory=True)
                        for message in messages[first : first + batch]
                    )
                )
            await consumer.wait_done()
            seconds = time.perf_counter() - started
    return seconds


def _raw_consumer(channel: ChildChannel, url: str, expected: int, prefetch: int) -> None:
    asyncio.run(_consume_raw(channel, url, expected, prefetch))


async def _consume_raw(channel: ChildChannel, url: str, expected: int, prefetch: int) -> None:
    received: set[str] = set()
    connection = await aio_pika.connect(url)
    async with connection:
        consume_channel = await connection.channel()
        await consume_channel.set_qos(prefetch_count=prefetch)
        queue = await consume_channel.get_queue(RAW_QUEUE)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            await message.ack()
            received.add(message.message_id or "")
            if len(received) >= expected:
                channel.done.set()

        tag = await queue.consume(on_message)
        channel.ready.set()
        await asyncio.to_thread(channel.stop.wait, PHASE_TIMEOUT_S)
        await queue.cancel(tag)


async def _project(
    url: str, pub_url: str, sub_url: str, data_dir: Path, events: list[EvidenceStored]
) -> tuple[dict[str, float], dict[str, Any]]:
    """Seconds per phase: the first half written one use case at a time, the second at once."""
    tables = await _create_tables(pub_url, sub_url)
    publisher = Runtime.build(
        service_settings("intake", amqp=url, database=pub_url, data_dir=data_dir), tables
    )
    inbox = create_engine(sub_url)
    half = len(events) // 2
    with ChildProcess(_project_consumer, url, sub_url, data_dir) as consumer:
        await consumer.wait_ready()
        await publisher.start()
        try:
            async with asyncio.timeout(PHASE_TIMEOUT_S):
                started = time.perf_counter()
                await asyncio.gather(
                    *(_write(publisher, tables, events[w:half:WRITERS]) for w in range(WRITERS))
                )
                await _all_in_inbox(inbox, half)
                with_writes = time.perf_counter() - started
                await _write_at_once(publisher, tables, events[half:])
                started = time.perf_counter()
                await _all_in_inbox(inbox, len(events))
                relay_to_inbox = time.perf_counter() - started
            await asyncio.sleep(0.5)  # a redelivered duplicate would reach the handler by now
            unpublished = await _unpublished(publisher.engine)
            handled = await _count(inbox, "SELECT count(*) FROM inbox")
        finally:
            await publisher.stop()
            await inbox.dispose()
        calls: collections.Counter[str] = consumer.result()
    expected = {str(event.event_id) for event in events}
    seconds = {"with_writes": with_writes, "relay_to_inbox": relay_to_inbox}
    return seconds, {
        "events": len(events),
        "outbox_unpublished": unpublished,
        "handled_in_inbox": handled,
        "handler_calls": sum(calls.values()),
        "lost": len(expected - set(calls)),
        "duplicates": sum(count - 1 for count in calls.values()),
    }


def _project_consumer(channel: ChildChannel, url: str, sub_url: str, data_dir: Path) -> None:
    channel.results.put(asyncio.run(_consume_with_inbox(channel, url, sub_url, data_dir)))


async def _consume_with_inbox(
    channel: ChildChannel, url: str, sub_url: str, data_dir: Path
) -> collections.Counter[str]:
    """Review's `Runtime` with a no-op handler; the handler calls per event id when told to stop."""
    tables = define_messaging_tables(MetaData())
    consumer = Runtime.build(
        service_settings("review", amqp=url, database=sub_url, data_dir=data_dir), tables
    )
    calls: collections.Counter[str] = collections.Counter()

    async def noop(_session: AsyncSession, event: EvidenceStored) -> None:
        calls[str(event.event_id)] += 1

    consumer.consume({EVENT_TYPE: noop})
    await consumer.start()
    channel.ready.set()
    try:
        await asyncio.to_thread(channel.stop.wait, PHASE_TIMEOUT_S)
    finally:
        await consumer.stop()
    return calls


async def _create_tables(*db_urls: str) -> MessagingTables:
    metadata = MetaData()
    tables = define_messaging_tables(metadata)
    for db_url in db_urls:
        engine = create_engine(db_url)
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        await engine.dispose()
    return tables


async def _all_in_inbox(inbox: AsyncEngine, total: int) -> None:
    while await _count(inbox, "SELECT count(*) FROM inbox") < total:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


async def _unpublished(engine: AsyncEngine) -> int:
    """The relay marks a batch after its last confirm: allow it to commit (bounded)."""
    for _ in range(100):
        unpublished = await _count(engine, UNPUBLISHED_SQL)
        if unpublished == 0:
            break
        await asyncio.sleep(0.1)
    return unpublished


async def _write(runtime: Runtime, tables: MessagingTables, events: list[EvidenceStored]) -> None:
    for event in events:
        async with runtime.transaction() as session:
            await add_to_outbox(session, tables, event)


async def _write_at_once(
    runtime: Runtime, tables: MessagingTables, events: list[EvidenceStored]
) -> None:
    """One transaction: the relay wakes at its commit and finds every row waiting."""
    async with runtime.transaction() as session:
        for event in events:
            await add_to_outbox(session, tables, event)


async def _count(engine: AsyncEngine, sql: str) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text(sql))).scalar_one())
