"""The services as real processes for `intake`, `peak` and `scale`, and an HTTP applicant.

Built on the test suite's `Infra` and `Platform` (tests/support): a private virtual host,
PostgreSQL databases per service migrated with ``services.cli migrate``, moto S3 in a child
process, and ``python -m services.cli serve <service>`` per service (render also as replicas).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import httpx

from bench.common import log
from services.intake.demo import DEMO_ENTERPRISE_ID
from shared.auth import Role
from shared.settings import ServiceName
from tests.builders import application_form
from tests.support.infra import (
    ROOT,
    Infra,
    create_vhost,
    delete_vhost,
    drop_database,
    migrate,
    psql,
)
from tests.support.platform import Platform
from tests.support.proxy import free_port
from tests.support.s3 import S3Server

DEMO_PASSWORD = "bench-demo-password"  # noqa: S105 - a throwaway demo account of this run
MB = 1024 * 1024
HTTP_TIMEOUT_S = 60.0  # a request this slow counts as failed (the targets are in ms)


@dataclass
class BenchInfra(Infra):
    """`tests.support.infra.Infra` with bench names, only the databases asked for, S3 apart."""

    services: tuple[ServiceName, ...] = ("intake", "review", "render", "notify")
    s3_server: S3Server | None = None

    @property
    def vhost(self) -> str:
        return f"qcflow-bench-{self.run_id}"

    def database(self, service: str) -> str:
        return f"qcflow_bench_{self.run_id}_{service}"

    def start(self) -> BenchInfra:
        create_vhost(self.vhost)
        for service in self.services:
            psql(f"CREATE DATABASE {self.database(service)}")
        migrate({service: self.database_url(service) for service in self.services})
        self.s3_server = S3Server().start()
        self.s3_port = self.s3_server.port
        return self

    def stop(self) -> None:
        if self.s3_server is not None:
            self.s3_server.stop()
        delete_vhost(self.vhost)
        for service in self.services:
            drop_database(self.database(service))


@contextlib.contextmanager
def running_platform(
    services: tuple[ServiceName, ...], data_dir: Path, *, smtp_port: int = 1, start: bool = True
) -> Iterator[Platform]:
    """Infrastructure, demo accounts and (unless start=False) the services, all torn down."""
    infra = BenchInfra(services=services)
    log(f"platform: vhost {infra.vhost}, databases for {', '.join(services)}")
    infra.start()
    platform = Platform(infra, smtp_port, bucket=f"bench-{infra.run_id}", data_dir=data_dir)
    try:
        if "intake" in services:
            subprocess.run(
                [sys.executable, "-m", "services.cli", "seed-demo"],
                check=True,
                cwd=ROOT,
                env={**platform.env("intake"), "QCFLOW_DEMO_PASSWORD": DEMO_PASSWORD},
                capture_output=True,
                timeout=300,
            )
        if start:
            platform.start(*services)
        yield platform
    finally:
        platform.stop()
        infra.stop()


def spawn_render(platform: Platform, replica: int) -> str:
    """Start render replica number `replica` (2, 3, …) beside `platform`'s; returns its URL."""
    name = f"render-{replica}"
    port = free_port()
    log_file = (platform.data_dir / f"{name}.log").open("ab")
    platform.processes[name] = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", "render"],
        env={**platform.env("render"), "QCFLOW_HTTP_PORT": str(port)},
        cwd=ROOT,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    return f"http://127.0.0.1:{port}"


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 120) -> float:
    """Seconds until `url`/ready answers 200 (raises if the process dies or time runs out)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/ready", timeout=5).status_code == 200:
                return time.monotonic() - started
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready in {timeout_s:.0f} s")


def login(platform: Platform, username: str = "applicant") -> dict[str, str]:
    response = httpx.post(
        f"{platform.url('intake')}/api/login",
        json={"username": username, "password": DEMO_PASSWORD},
        timeout=60,
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@dataclass(frozen=True)
class Account:
    email: str
    headers: dict[str, str]


def applicant_accounts(platform: Platform, count: int) -> list[Account]:
    """`count` logged-in applicants of the demo enterprise, one per HTTP client.

    At a deadline each group's own member submits; one shared account would meet intake's
    per-account upload limit (600 a minute) instead of the platform's capacity.
    """
    admin = login(platform, "caq-admin")
    accounts = []
    for index in range(count):
        username, email = f"bench-applicant-{index}", f"bench-applicant-{index}@demo.qcflow.local"
        response = httpx.put(
            f"{platform.url('intake')}/api/users/{username}",
            headers=admin,
            json={
                "name": f"申报人{index}",
                "role": Role.APPLICANT,
                "email": email,
                "enterprise_id": DEMO_ENTERPRISE_ID,
                "initial_password": DEMO_PASSWORD,
            },
            timeout=60,
        )
        response.raise_for_status()
        accounts.append(Account(email, login(platform, username)))
    return accounts


def evidence_pdf(size: int = MB) -> bytes:
    """A file intake accepts as PDF evidence, of exactly `size` bytes."""
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\n"
    tail = b"\n%%EOF\n"
    return head + b"0" * (size - len(head) - len(tail)) + tail


async def streamed_pdf(size: int, chunk: int = 256 * 1024) -> AsyncIterator[bytes]:
    """The same file, generated piece by piece (the client never holds it whole)."""
    head = evidence_pdf(chunk)[: chunk - 7]
    yield head
    sent = len(head)
    filler = b"0" * chunk
    while sent < size - 7:
        piece = filler[: min(chunk, size - 7 - sent)]
        sent += len(piece)
        yield piece
    yield b"\n%%EOF\n"


@dataclass
class Submission:
    index: int
    group_name: str
    application_id: str = ""
    form: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0


@dataclass
class Applicant:
    """Logged-in applicants creating, uploading to and submitting applications over HTTP.

    Client number k works as account k (modulo the number of accounts).
    """

    base_url: str
    accounts: list[Account]
    evidence: bytes = field(default_factory=evidence_pdf)
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {"create": [], "upload": [], "submit": []}
    )

    async def submit_many(self, count: int, *, concurrency: int, tag: str) -> list[Submission]:
        items = [Submission(index, f"雪域先锋QC小组-{tag}{index:05d}") for index in range(count)]
        pending = iter(items)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=HTTP_TIMEOUT_S, limits=limits
        ) as client:

            async def worker(account: Account) -> None:
                for item in pending:
                    await self._one(client, account.headers, item)

            await asyncio.gather(
                *(worker(self.accounts[k % len(self.accounts)]) for k in range(concurrency))
            )
        return items

    async def _timed(
        self,
        kind: str,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        **kwargs: Any,  # noqa: ANN401
    ) -> httpx.Response:
        started = time.perf_counter()
        response = await client.request(method, url, **kwargs)
        self.latencies[kind].append(time.perf_counter() - started)
        return response

    async def _one(
        self, client: httpx.AsyncClient, headers: dict[str, str], item: Submission
    ) -> None:
        started = time.perf_counter()
        try:
            created = await self._timed(
                "create",
                client,
                "POST",
                "/api/applications",
                headers=headers,
                json=application_form(group_name=item.group_name),
            )
            if created.status_code != 201:
                item.error = f"create {created.status_code}: {created.text[:200]}"
                return
            body = created.json()
            item.application_id, item.form = body["application_id"], body["form"]
            app_url = f"/api/applications/{item.application_id}"
            uploaded = await self._timed(
                "upload",
                client,
                "POST",
                f"{app_url}/files",
                params={"filename": "活动记录.pdf", "kind": "evidence"},
                headers={**headers, "Content-Type": "application/pdf"},
                content=self.evidence,
            )
            if uploaded.status_code != 201:
                item.error = f"upload {uploaded.status_code}: {uploaded.text[:200]}"
                return
            submitted = await self._timed(
                "submit",
                client,
                "POST",
                f"{app_url}/submit",
                json={"confirm_certificate_line": body["certificate_line"]},
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            )
            if submitted.status_code != 200:
                item.error = f"submit {submitted.status_code}: {submitted.text[:200]}"
        except httpx.HTTPError as exc:
            item.error = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            item.seconds = time.perf_counter() - started


class RssSampler:
    """Samples VmRSS of a process from /proc every few milliseconds in a thread; keeps the max."""

    def __init__(self, pid: int, interval_s: float = 0.005) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self.peak_kb = status_kb(self.pid, "VmRSS")
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmRSS"))

    def _run(self) -> None:
        deadline = time.monotonic() + 3600
        while not self._stop.is_set() and time.monotonic() < deadline:
            self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmRSS"))
            time.sleep(self.interval_s)


def status_kb(pid: int, field_name: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM); 0 if unreadable."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1])
    return 0


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0, same user or root); False if refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True
