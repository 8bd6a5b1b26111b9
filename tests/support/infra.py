"""The real components the tests run against, set up once per test session."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

import httpx
from moto.server import ThreadedMotoServer

from shared.settings import ServiceName, Settings
from tests.support.proxy import free_port

AMQP_HOST = "127.0.0.1:5672"
PG_HOST = "127.0.0.1:5432"
MANAGEMENT_API = "http://127.0.0.1:15672/api"
GUEST = ("guest", "guest")
ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "review", "render", "notify")


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def create_vhost(name: str) -> None:
    if management_api_available():
        _management("PUT", f"vhosts/{quote(name, safe='')}")
        permissions = {"configure": ".*", "write": ".*", "read": ".*"}
        _management("PUT", f"permissions/{quote(name, safe='')}/guest", permissions)
        return
    run("rabbitmqctl", "add_vhost", name)
    run("rabbitmqctl", "set_permissions", "-p", name, "guest", ".*", ".*", ".*")


def delete_vhost(name: str) -> None:
    if management_api_available():
        _management("DELETE", f"vhosts/{quote(name, safe='')}", expected=(204, 404))
        return
    subprocess.run(["rabbitmqctl", "delete_vhost", name], check=False, capture_output=True)


@functools.cache
def management_api_available() -> bool:
    """The HTTP API answers in milliseconds; each `rabbitmqctl` call boots an Erlang VM (~1 s).

    scripts/ensure-services.sh enables the management plugin; without it, rabbitmqctl it is.
    """
    try:
        return httpx.get(f"{MANAGEMENT_API}/overview", auth=GUEST, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _management(
    method: str, path: str, body: object = None, *, expected: tuple[int, ...] = (201, 204)
) -> None:
    response = httpx.request(method, f"{MANAGEMENT_API}/{path}", json=body, auth=GUEST, timeout=30)
    if response.status_code not in expected:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")


def psql(sql: str) -> None:
    run("psql", "-h", "127.0.0.1", "-d", "test", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql)


@dataclass
class Infra:
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    s3: ThreadedMotoServer | None = None
    s3_port: int = 0
    template_run_id: str | None = None

    @property
    def vhost(self) -> str:
        return f"qcflow-test-{self.run_id}"

    def database(self, service: str) -> str:
        return f"qcflow_{self.run_id}_{service}"

    def amqp_url(self, port: int | None = None, vhost: str | None = None) -> str:
        host = f"127.0.0.1:{port}" if port else AMQP_HOST
        return f"amqp://guest:guest@{host}/{vhost or self.vhost}"

    def database_url(self, service: str, port: int | None = None) -> str:
        host = f"127.0.0.1:{port}" if port else PG_HOST
        return f"postgresql+asyncpg://root@{host}/{self.database(service)}"

    def template(self, service: str) -> str:
        return f"qcflow_{self.template_run_id or self.run_id}_template_{service}"

    def start(self) -> Infra:
        """Migrate one template database per service, then take this session's copies of them."""
        for service in SERVICES:
            psql(f"CREATE DATABASE {self.template(service)}")
        migrate({service: self._url_of(self.template(service)) for service in SERVICES})
        self._create_own_resources()
        self.s3_port = free_port()
        self.s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=self.s3_port, verbose=False)
        self.s3.start()
        return self

    def stop(self) -> None:
        if self.s3 is not None:
            self.s3.stop()
        self._drop_own_resources()
        for service in SERVICES:
            drop_database(self.template(service))

    @contextmanager
    def isolated(self) -> Iterator[Infra]:
        """Databases and a vhost of its own (same S3 server), for long-lived service processes.

        Their background workers (outbox relays, delivery dispatchers, reminder scans) act on
        every row of their database: sharing the session's databases, they would publish and send
        the rows other tests are looking at.
        """
        own = replace(self, run_id=uuid.uuid4().hex[:8], template_run_id=self.run_id, s3=None)
        own._create_own_resources()
        try:
            yield own
        finally:
            own._drop_own_resources()

    def _create_own_resources(self) -> None:
        create_vhost(self.vhost)
        for service in SERVICES:
            # a copy of the migrated template: milliseconds instead of a migration run
            psql(f"CREATE DATABASE {self.database(service)} TEMPLATE {self.template(service)}")

    def _drop_own_resources(self) -> None:
        delete_vhost(self.vhost)
        for service in SERVICES:
            drop_database(self.database(service))

    def _url_of(self, database: str) -> str:
        return f"postgresql+asyncpg://root@{PG_HOST}/{database}"

    def env(
        self, service: ServiceName, *, smtp_port: int, bucket: str, data_dir: Path
    ) -> dict[str, str]:
        return {
            "QCFLOW_SERVICE": service,
            "QCFLOW_AMQP_URL": self.amqp_url(),
            "QCFLOW_DATABASE_URL": self.database_url(service),
            "QCFLOW_STORAGE_BACKEND": "s3",
            "QCFLOW_S3_ENDPOINT": f"127.0.0.1:{self.s3_port}",
            "QCFLOW_S3_ACCESS_KEY": "testing",
            "QCFLOW_S3_SECRET_KEY": "testing",
            "QCFLOW_S3_BUCKET": bucket,
            "QCFLOW_SMTP_HOST": "127.0.0.1",
            "QCFLOW_SMTP_PORT": str(smtp_port),
            "QCFLOW_DATA_DIR": str(data_dir),
            "QCFLOW_AUTH_SECRET": "test-secret-for-this-run-only-0123456789",
        }

    def settings(
        self, service: ServiceName, *, smtp_port: int, bucket: str, data_dir: Path
    ) -> Settings:
        env = self.env(service, smtp_port=smtp_port, bucket=bucket, data_dir=data_dir)
        return Settings.model_validate(
            {key.removeprefix("QCFLOW_").lower(): value for key, value in env.items()}
        )


def migrate(database_urls: dict[str, str]) -> None:
    """`services.cli migrate` for each service's database, all at once."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "services.cli", "migrate", service],
            env={**os.environ, "QCFLOW_DATABASE_URL": url},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for service, url in database_urls.items()
    ]
    for process in processes:
        output, _ = process.communicate(timeout=300)
        if process.returncode != 0:
            raise RuntimeError(f"migration failed: {output.decode(errors='replace')[-3000:]}")


def drop_database(name: str) -> None:
    subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-d",
            "test",
            "-q",
            "-c",
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
        ],
        check=False,
        capture_output=True,
        timeout=60,
    )


def psql_value(database: str, sql: str) -> str:
    return run("psql", "-h", "127.0.0.1", "-d", database, "-tAq", "-c", sql).strip()
