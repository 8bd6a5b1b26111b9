"""Settings read from the environment (prefix QCFLOW_), built once in each service's main."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.priority import BACKGROUND_NICENESS

ServiceName = Literal["intake", "review", "render", "notify"]
SERVICE_PORTS: dict[ServiceName, int] = {
    "intake": 8001,
    "review": 8002,
    "render": 8003,
    "notify": 8004,
}
# The intake and review pages as `make run` serves them, under both local host names.
LOCAL_PAGE_ORIGINS = [
    f"http://{host}:{SERVICE_PORTS[service]}"
    for service in ("intake", "review")
    for host in ("127.0.0.1", "localhost")
]
# Services whose work, at a deadline, nobody waits on by the second: they yield cores to intake.
BACKGROUND_SERVICES: frozenset[ServiceName] = frozenset({"notify", "review"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QCFLOW_", extra="ignore")

    service: ServiceName = "intake"
    http_host: str = "127.0.0.1"
    http_port: int | None = None
    data_dir: Path = Path("var")

    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    publish_timeout_s: float = 10.0
    prefetch: int = 8
    # render: draw documents in a child process (two cores at work) rather than on a thread
    render_in_child_process: bool = True
    # A failing handler waits base * 4**attempt (capped) before its message is requeued: with the
    # delivery limit of 5 that rides out about 100 s of a dependency being down.
    retry_base_delay_s: float = 0.5
    # On SIGTERM, handlers in flight get this long to finish; then they are cancelled, their
    # transaction rolls back and the unacknowledged message is redelivered.
    shutdown_grace_s: float = 30.0
    retry_max_delay_s: float = 60.0
    # CPU priority of the service process (0 = normal, 19 = lowest); default: see process_niceness
    niceness: int | None = Field(default=None, ge=0, le=19)

    database_url: str | None = None  # default: a SQLite file per service under data_dir

    storage_backend: Literal["local", "s3"] = "local"
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = "minioadmin"
    s3_secret_key: SecretStr = SecretStr("minioadmin")
    s3_bucket: str = "qcflow"
    s3_secure: bool = False
    s3_region: str = "us-east-1"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "qcflow <noreply@qcflow.local>"

    public_url: str = "http://127.0.0.1:8001"
    # Where browsers reach notify (the pages' notification bell calls its API from there), and
    # the page origins notify answers cross-origin: comma-separated in QCFLOW_CORS_ORIGINS.
    notify_public_url: str = f"http://127.0.0.1:{SERVICE_PORTS['notify']}"
    cors_origins: Annotated[list[str], NoDecode] = LOCAL_PAGE_ORIGINS
    auth_secret: SecretStr = SecretStr("dev-only-secret-change-me-in-production-0000")
    token_ttl_s: int = 8 * 3600

    max_file_bytes: int = 50 * 1024 * 1024
    max_application_bytes: int = 200 * 1024 * 1024

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list):
            return [str(origin).strip().rstrip("/") for origin in value if str(origin).strip()]
        return value

    @field_validator("notify_public_url")
    @classmethod
    def _without_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def port(self) -> int:
        return self.http_port or SERVICE_PORTS[self.service]

    @property
    def process_niceness(self) -> int:
        if self.niceness is not None:
            return self.niceness
        return BACKGROUND_NICENESS if self.service in BACKGROUND_SERVICES else 0

    @property
    def notify_origin(self) -> str:
        """Scheme, host and port of notify_public_url: what a page's CSP connect-src allows."""
        parts = urlsplit(self.notify_public_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / f'{self.service}.sqlite3'}"

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "storage"


def settings_for(service: ServiceName, **overrides: object) -> Settings:
    return Settings(service=service, **overrides)  # type: ignore[arg-type]
