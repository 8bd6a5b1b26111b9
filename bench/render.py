"""`render`: the render worker's throughput against the bare renderers, and warm document times.

The worker is the real consumer path: the `Runtime` that `services.render.main.create_app`
composes (FastStream consumer, inbox, handler, renderers, S3 upload, outbox relay) on a private
RabbitMQ virtual host, a fresh PostgreSQL database migrated with `shared.migrations.upgrade`
and a moto S3 server. N `application.submitted` events wait in render's queue before the
worker starts; its time runs from `runtime.start()` until all 2N documents are recorded.

The baseline is `PdfRenderer().render_application_form` + `render_application_form_docx` over
the same N forms in this process, half before and half after the worker (so drift in the
machine's load hits both), already warm.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import aio_pika
from minio import Minio
from sqlalchemy import text

from bench.common import (
    Options,
    Result,
    Row,
    Target,
    amqp_url,
    bare_render,
    database,
    form,
    log,
    median_time,
    run_id,
    service_settings,
    submitted,
    vhost,
)
from shared.events import ApplicationForm, ApplicationSubmitted
from shared.messaging.broker import create_broker, declare_topology
from shared.messaging.topology import EVENTS_EXCHANGE
from shared.migrations import upgrade
from shared.runtime import Runtime
from shared.settings import Settings
from tests.support.s3 import S3Server

NAME = "render"
WORKER_TIMEOUT_S = 3600.0


def run(options: Options) -> Result:
    n = options.count(NAME, full=200, quick=10)
    repeat = 5 if options.quick else 25
    result = Result(NAME, params={"n": n, "warm_repeat": repeat, "database": "postgresql"})
    forms = [form(index) for index in range(n)]
    ident = run_id()

    bare_render([form(0)])  # warm the in-process renderers once (fonts, templates)
    half = n // 2
    log(f"render: bare loop, first half ({half} forms)")
    bare_seconds = bare_render(forms[:half])

    with (
        vhost(f"qcflow-bench-{ident}") as vhost_name,
        database(f"qcflow_bench_{ident}_render") as db_url,
        S3Server() as s3,
        tempfile.TemporaryDirectory(prefix="qcflow-bench-") as tmp,
    ):
        upgrade("render", db_url)
        settings = service_settings(
            "render",
            amqp=amqp_url(vhost_name),
            database=db_url,
            data_dir=Path(tmp),
            s3=s3,
            bucket=f"bench-{ident}",
        )
        events = [submitted(item) for item in forms]
        log(f"render: worker, {n} events queued")
        worker_seconds, facts = asyncio.run(_worker(settings, events))

    log(f"render: bare loop, second half ({n - half} forms)")
    bare_seconds += bare_render(forms[half:])

    log(f"render: warm per-document times, median of {repeat}")
    pdf_s, docx_s = _warm_times(form(5), repeat)  # 8 members

    bare_rate = n / bare_seconds
    worker_rate = n / worker_seconds
    result.facts = facts
    result.add(
        Row("bare loop (pdf+docx)", round(bare_rate, 2), "forms/s", note=f"{bare_seconds:.1f} s"),
        Row(
            "worker (queue→S3+DB)", round(worker_rate, 2), "forms/s", note=f"{worker_seconds:.1f} s"
        ),
        Row("ratio worker / bare", round(worker_rate / bare_rate, 3), "", Target(">=", 0.9)),
        Row("申报表 pdf, warm median", round(pdf_s, 4), "s", Target("<=", 0.25)),
        Row("申报表 docx, warm median", round(docx_s, 4), "s", Target("<=", 0.05)),
        Row("lost", facts["lost"], "", Target("<=", 0)),
        Row("duplicates", facts["duplicates"], "", Target("<=", 0)),
    )
    return result


def _warm_times(item: ApplicationForm, repeat: int) -> tuple[float, float]:
    from services.render.renderers.docx import render_application_form_docx  # noqa: PLC0415
    from services.render.renderers.pdf import PdfRenderer  # noqa: PLC0415

    renderer = PdfRenderer()
    pdf_s = median_time(lambda: renderer.render_application_form(item), repeat, warm=2)
    docx_s = median_time(lambda: render_application_form_docx(item), repeat, warm=2)
    return pdf_s, docx_s


async def publish_events(url: str, events: list[ApplicationSubmitted]) -> None:
    """Persistent, confirmed publishes to the events exchange, like the outbox relay's."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(EVENTS_EXCHANGE)
        for event in events:
            await exchange.publish(
                aio_pika.Message(
                    event.model_dump_json().encode(),
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    message_id=str(event.event_id),
                    content_type="application/json",
                    type=event.type,
                ),
                routing_key=event.type,
                mandatory=True,
            )


async def declare(url: str) -> None:
    from prometheus_client import CollectorRegistry  # noqa: PLC0415

    broker = create_broker(url, prefetch=1, registry=CollectorRegistry(), app_name="qcflow-bench")
    await broker.connect()
    try:
        await declare_topology(broker)
    finally:
        await broker.stop()


async def _worker(
    settings: Settings, events: list[ApplicationSubmitted]
) -> tuple[float, dict[str, Any]]:
    from services.render.main import create_app  # noqa: PLC0415 - the composition root

    await declare(settings.amqp_url)
    await publish_events(settings.amqp_url, events)
    runtime: Runtime = create_app(settings).state.runtime
    expected = 2 * len(events)
    started = time.perf_counter()
    await runtime.start()
    start_s = time.perf_counter() - started
    try:
        deadline = time.monotonic() + WORKER_TIMEOUT_S
        while await _count(runtime, "SELECT count(*) FROM rendered_documents") < expected:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        seconds = time.perf_counter() - started
        facts = await _check(runtime, events) | {"worker_start_s": round(start_s, 3)}
    finally:
        await runtime.stop()
    return seconds, facts


async def _count(runtime: Runtime, sql: str) -> int:
    async with runtime.engine.connect() as connection:
        return int((await connection.execute(text(sql))).scalar_one())


async def _check(runtime: Runtime, events: list[ApplicationSubmitted]) -> dict[str, Any]:
    """Every event handled once: its two documents recorded and stored, one announcement."""
    ids = {str(event.application_id) for event in events}
    async with runtime.engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT subject_id, format, storage_key FROM rendered_documents")
            )
        ).all()
        inbox = int((await connection.execute(text("SELECT count(*) FROM inbox"))).scalar_one())
        rendered = (
            await connection.execute(
                text(
                    "SELECT payload::json->>'subject_id' FROM outbox "
                    "WHERE event_type = 'document.rendered'"
                )
            )
        ).all()
    per_subject: dict[str, set[str]] = {}
    for row in rows:
        per_subject.setdefault(row.subject_id, set()).add(row.format)
    complete = {subject for subject, formats in per_subject.items() if formats >= {"pdf", "docx"}}
    announced = [row[0] for row in rendered]
    stored = await asyncio.to_thread(_stored_keys, runtime)
    missing_objects = [row.storage_key for row in rows if row.storage_key not in stored]
    return {
        "events": len(events),
        "handled_in_inbox": inbox,
        "documents_recorded": len(rows),
        "objects_stored": len(stored),
        "missing_objects": len(missing_objects),
        "lost": len(ids - complete),
        "duplicates": (len(rows) - 2 * len(per_subject)) + (len(announced) - len(set(announced))),
        "document_rendered_events": len(announced),
    }


def _stored_keys(runtime: Runtime) -> set[str]:
    settings = runtime.settings
    client = Minio(
        settings.s3_endpoint,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key.get_secret_value(),
        secure=False,
        region=settings.s3_region,
    )
    return {
        str(item.object_name)
        for item in client.list_objects(settings.s3_bucket, prefix="documents/", recursive=True)
    }
