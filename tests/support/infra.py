"""The real components the tests run against, set up once per test session."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from moto.server import ThreadedMotoServer

from shared.settings import ServiceName, Settings
from tests.support.proxy import free_port

AMQP_HOST = "127.0.0.1:5672"
PG_HOST = "127.0.0.1:5432"
ROOT = Path(__file__).resolve().parents[2]


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def create_vhost(name: str) -> None:
    run("rabbitmqctl", "add_vhost", name)
    run("rabbitmqctl", "set_permissions", "-p", name, "guest", ".*", ".*", ".*")


def delete_vhost(name: str) -> None:
    subprocess.run(["rabbitmqctl", "delete_vhost", name], check=False, capture_output=True)


def psql(sql: str) -> None:
    run("psql", "-h", "127.0.0.1", "-d", "test", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql)


@dataclass
class Infra:
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    s3: ThreadedMotoServer | None = None
    s3_port: int = 0

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

    def start(self) -> Infra:
        create_vhost(self.vhost)
        for service in ("intake", "review", "render", "notify"):
            psql(f"CREATE DATABASE {self.database(service)}")
            migrate(service, self.database_url(service))
        self.s3_port = free_port()
        self.s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=self.s3_port, verbose=False)
        self.s3.start()
        return self

    def stop(self) -> None:
        if self.s3 is not None:
            self.s3.stop()
        delete_vhost(self.vhost)
        for service in ("intake", "review", "render", "notify"):
            subprocess.run(
                [
                    "psql",
                    "-h",
                    "127.0.0.1",
                    "-d",
                    "test",
                    "-q",
                    "-c",
                    f"DROP DATABASE IF EXISTS {self.database(service)} WITH (FORCE)",
                ],
                check=False,
                capture_output=True,
            )

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


def migrate(service: str, database_url: str) -> None:
    env = {**os.environ, "QCFLOW_DATABASE_URL": database_url}
    subprocess.run(
        [sys.executable, "-m", "services.cli", "migrate", service],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
    )


def psql_value(database: str, sql: str) -> str:
    return run("psql", "-h", "127.0.0.1", "-d", database, "-tAq", "-c", sql).strip()
