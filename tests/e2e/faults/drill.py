"""The drill harness: many applications in flight, a fault, then proof that nothing was lost."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from minio import Minio
from prometheus_client import CollectorRegistry

from shared.messaging.broker import create_broker, queue_depths
from shared.messaging.topology import SERVICE_QUEUES
from tests.builders import application_form, pdf_bytes, unique
from tests.support.infra import ROOT, Infra, psql_value
from tests.support.platform import SERVICES, Platform
from tests.support.proxy import TcpProxy
from tests.support.rabbit_node import PrivateRabbitNode
from tests.support.smtp import SmtpServer

DEMO_PASSWORD = "drill-demo-password"
RETRYABLE = {502, 503, 504}


@dataclass
class Submitted:
    application_id: str
    group_name: str


@dataclass
class Drill:
    """One platform wired through cuttable proxies to a private broker, S3 and PostgreSQL."""

    infra: Infra
    node: PrivateRabbitNode
    data_dir: Path
    smtp: SmtpServer = field(default_factory=lambda: SmtpServer().start())
    bucket: str = field(default_factory=lambda: unique("drill"))
    s3_proxy: TcpProxy = field(init=False)
    db_proxy: TcpProxy = field(init=False)
    platform: Platform = field(init=False)

    def __post_init__(self) -> None:
        self.s3_proxy = TcpProxy("127.0.0.1", self.infra.s3_port).start()
        self.db_proxy = TcpProxy("127.0.0.1", 5432).start()
        self.platform = Platform(
            self.infra,
            self.smtp.port,
            bucket=self.bucket,
            data_dir=self.data_dir,
            database_port=self.db_proxy.port,
            overrides={
                "QCFLOW_AMQP_URL": self.node.amqp_url,
                "QCFLOW_S3_ENDPOINT": f"127.0.0.1:{self.s3_proxy.port}",
                "QCFLOW_RETRY_BASE_DELAY_S": "0.25",
            },
        )

    def start(self) -> Drill:
        subprocess.run(
            [sys.executable, "-m", "services.cli", "seed-demo"],
            check=True,
            cwd=ROOT,
            env={**self.platform.env("intake"), "QCFLOW_DEMO_PASSWORD": DEMO_PASSWORD},
            capture_output=True,
        )
        self.platform.start()
        return self

    def close(self) -> None:
        self.platform.stop()
        self.smtp.stop()
        self.s3_proxy.close()
        self.db_proxy.close()

    # --- load -------------------------------------------------------------------------------

    async def submit(self, count: int, *, concurrency: int = 12) -> list[Submitted]:
        async with httpx.AsyncClient(base_url=self.platform.url("intake"), timeout=60) as client:
            token = (
                await _retrying(
                    client,
                    "POST",
                    "/api/login",
                    json={"username": "applicant", "password": DEMO_PASSWORD},
                )
            ).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            gate = asyncio.Semaphore(concurrency)

            async def one() -> Submitted:
                async with gate:
                    return await _submit_one(client)

            return list(await asyncio.gather(*(one() for _ in range(count))))

    # --- proof ------------------------------------------------------------------------------

    async def assert_nothing_lost(
        self,
        submitted: list[Submitted],
        *,
        timeout_s: float = 240,
    ) -> None:
        await self._wait_for_documents(submitted, timeout_s)
        self._assert_each_document_stored_once(submitted)
        await self._wait_for_mails(submitted, timeout_s)
        await asyncio.sleep(2.0)  # time for a duplicate to show up, if there were one
        counts = Counter(_group_of(str(m["Subject"]), submitted) for m in self.smtp.inbox.messages)
        duplicates = {group: n for group, n in counts.items() if group and n > 1}
        assert not duplicates, f"mails sent more than once: {duplicates}"
        await self._assert_broker_drained()
        for service in SERVICES:
            pending = psql_value(
                self.infra.database(service),
                "SELECT count(*) FROM outbox WHERE published_at IS NULL",
            )
            assert pending == "0", f"{service}: {pending} outbox rows stuck"

    async def _wait_for_documents(self, submitted: list[Submitted], timeout_s: float) -> None:
        async with httpx.AsyncClient(base_url=self.platform.url("intake"), timeout=30) as client:
            token = (
                await _retrying(
                    client,
                    "POST",
                    "/api/login",
                    json={"username": "applicant", "password": DEMO_PASSWORD},
                )
            ).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            missing = {item.application_id for item in submitted}
            deadline = asyncio.get_running_loop().time() + timeout_s
            while missing and asyncio.get_running_loop().time() < deadline:
                for application_id in list(missing):
                    response = await _retrying(client, "GET", f"/api/applications/{application_id}")
                    if {d["format"] for d in response.json()["documents"]} == {"docx", "pdf"}:
                        missing.discard(application_id)
                if missing:
                    await asyncio.sleep(1.0)
        assert not missing, f"{len(missing)} of {len(submitted)} applications never got documents"

    def _assert_each_document_stored_once(self, submitted: list[Submitted]) -> None:
        client = Minio(
            f"127.0.0.1:{self.infra.s3_port}",
            access_key="testing",
            secret_key="testing",
            secure=False,
        )
        keys = [
            obj.object_name
            for obj in client.list_objects(self.bucket, prefix="documents/", recursive=True)
        ]
        per_application = Counter(key.split("/")[1] for key in keys)
        wrong = {
            app.application_id: per_application[app.application_id]
            for app in submitted
            if per_application[app.application_id] != 2
        }  # docx + pdf
        assert not wrong, f"applications without exactly one docx and one pdf: {wrong}"

    async def _wait_for_mails(self, submitted: list[Submitted], timeout_s: float) -> None:
        wanted = {item.group_name for item in submitted}
        deadline = asyncio.get_running_loop().time() + timeout_s
        while asyncio.get_running_loop().time() < deadline:
            received = {_group_of(str(m["Subject"]), submitted) for m in self.smtp.inbox.messages}
            if wanted <= received:
                return
            await asyncio.sleep(1.0)
        received = {_group_of(str(m["Subject"]), submitted) for m in self.smtp.inbox.messages}
        missing = [item for item in submitted if item.group_name not in received]
        raise AssertionError(
            f"{len(missing)} receipts never arrived; notify knows:\n{self._notify_state(missing)}"
        )

    def _notify_state(self, missing: list[Submitted]) -> str:
        """What notify holds for the missing receipts: where they stopped."""
        ids = ", ".join(f"'{uuid.UUID(item.application_id)}'" for item in missing[:20])
        deliveries = (
            "SELECT subject_id, template, channel, status, attempts, next_attempt_at, "  # noqa: S608 - parsed UUIDs
            f"left(last_error, 300) FROM deliveries WHERE subject_id IN ({ids})"
        )
        receipts = (
            "SELECT application_id, revision, submission IS NOT NULL, documents IS NOT NULL, "  # noqa: S608 - parsed UUIDs
            f"queued_at FROM pending_receipts WHERE application_id IN ({ids})"
        )
        database = self.infra.database("notify")
        return "\n".join(psql_value(database, sql) or "(none)" for sql in (deliveries, receipts))

    async def _assert_broker_drained(self) -> None:
        broker = create_broker(
            self.node.amqp_url, prefetch=1, registry=_registry(), app_name="drill"
        )
        await broker.connect()
        try:
            for _ in range(60):
                depths = {
                    name: await queue_depths(broker, queue)
                    for name, queue in SERVICE_QUEUES.items()
                }
                if all(d["messages"] == 0 for d in depths.values()):
                    break
                await asyncio.sleep(1.0)
            assert all(d["messages"] == 0 for d in depths.values()), depths
            assert all(d["dead_letters"] == 0 for d in depths.values()), depths
            assert all(d["consumers"] >= 1 for d in depths.values()), depths
        finally:
            await broker.stop()


def _registry() -> CollectorRegistry:
    return CollectorRegistry()


def _group_of(subject: str, submitted: list[Submitted]) -> str | None:
    return next((item.group_name for item in submitted if item.group_name in subject), None)


async def _submit_one(client: httpx.AsyncClient) -> Submitted:
    group_name = unique("演练QC小组")
    created = (
        await _retrying(
            client, "POST", "/api/applications", json=application_form(group_name=group_name)
        )
    ).json()
    application_id = created["application_id"]
    await _retrying(
        client,
        "POST",
        f"/api/applications/{application_id}/files",
        params={"filename": "活动记录.pdf", "kind": "evidence"},
        headers={"Content-Type": "application/pdf"},
        content=pdf_bytes(),
    )
    submitted = await _retrying(
        client,
        "POST",
        f"/api/applications/{application_id}/submit",
        json={"confirm_certificate_line": created["certificate_line"]},
        headers={"Idempotency-Key": f"drill-{application_id}"},
        accept=frozenset({409}),
    )
    # A retried submit may find it already done; any other refusal is a real failure.
    assert submitted.status_code != 409 or "已提交" in submitted.text, submitted.text
    return Submitted(application_id, group_name)


async def _retrying(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    accept: frozenset[int] = frozenset(),
    **kwargs: Any,
) -> httpx.Response:
    """What a patient client does: retry while the platform says it is temporarily unavailable."""
    for _ in range(120):
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TransportError:
            await asyncio.sleep(0.5)
            continue
        if response.status_code in RETRYABLE:
            await asyncio.sleep(0.5)
            continue
        if response.status_code < 400 or response.status_code in accept:
            return response
        raise AssertionError(f"{method} {url}: {response.status_code} {response.text}")
    raise AssertionError(f"{method} {url}: still unavailable after retries")
