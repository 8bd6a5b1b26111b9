"""The four services as real processes, configured against the test infrastructure."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx

from shared.settings import ServiceName
from tests.support.infra import ROOT, Infra
from tests.support.proxy import free_port

T = TypeVar("T")
PR_SET_PDEATHSIG = 1
SERVICES: tuple[ServiceName, ...] = ("intake", "review", "render", "notify")


@dataclass
class Platform:
    infra: Infra
    smtp_port: int
    bucket: str
    data_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: {s: free_port() for s in SERVICES})
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)
    database_port: int | None = None

    def url(self, service: ServiceName) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def env(self, service: ServiceName) -> dict[str, str]:
        return {
            **os.environ,
            **self.infra.env(
                service, smtp_port=self.smtp_port, bucket=self.bucket, data_dir=self.data_dir
            ),
            "QCFLOW_HTTP_PORT": str(self.ports[service]),
            "QCFLOW_PUBLIC_URL": self.url("intake"),
            "QCFLOW_DATABASE_URL": self.infra.database_url(service, port=self.database_port),
            **self.overrides,
        }

    def start(self, *services: ServiceName) -> Platform:
        for service in services or SERVICES:
            log = (self.data_dir / f"{service}.log").open("ab")
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "serve", service],
                env=self.env(service),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - it only calls prctl: no locks taken
            )
        for service in services or SERVICES:
            self.wait_ready(service)
        return self

    def wait_ready(self, service: ServiceName, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.processes[service].poll() is not None:
                raise RuntimeError(f"{service} exited: {self.log(service)[-3000:]}")
            try:
                if httpx.get(f"{self.url(service)}/ready", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"{service} not ready: {self.log(service)[-3000:]}")

    def terminate(self, service: ServiceName, timeout_s: float = 60) -> int:
        """SIGTERM, as an orchestrator stops a container; returns the exit code."""
        process = self.processes.pop(service)
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout=timeout_s)

    def kill(self, service: ServiceName) -> None:
        """SIGKILL: no shutdown hooks, in-flight work simply stops."""
        process = self.processes.pop(service)
        process.kill()
        process.wait(timeout=10)

    def log(self, service: str) -> str:
        return (self.data_dir / f"{service}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()


@contextmanager
def demo_platform(
    infra: Infra,
    *,
    name: str,
    smtp_port: int,
    data_dir: Path,
    demo_password: str,
    services: tuple[ServiceName, ...] = (),
    overrides: dict[str, str] | None = None,
) -> Iterator[Platform]:
    """The services as real processes with demo accounts, on databases and a vhost of their own."""
    with infra.isolated() as own:
        running = Platform(
            own,
            smtp_port,
            bucket=f"{name}-{uuid.uuid4().hex[:6]}",
            data_dir=data_dir,
            overrides=overrides or {},
        )
        subprocess.run(
            [sys.executable, "-m", "services.cli", "seed-demo"],
            check=True,
            cwd=ROOT,
            env={**running.env("intake"), "QCFLOW_DEMO_PASSWORD": demo_password},
            capture_output=True,
        )
        try:
            yield running.start(*services)
        finally:
            running.stop()


def die_with_parent() -> None:
    """In the child: be killed when the test process dies, however it dies.

    A service left behind by an interrupted run keeps reconnecting to its broker port; a later
    run whose private broker reuses that port would then have a stranger consuming its queues.
    """
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def wait_for(predicate: Callable[[], T], timeout_s: float = 60, interval_s: float = 0.3) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise TimeoutError("condition not met in time")
