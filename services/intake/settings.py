"""Settings only intake reads (prefix QCFLOW_INTAKE_), beside the shared ones."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class IntakeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QCFLOW_INTAKE_", extra="ignore")

    clamav_host: str | None = None  # unset: files are not scanned (scan_status "not_scanned")
    clamav_port: int = 3310
    clamav_timeout_s: float = 60.0
    upload_chunk_bytes: int = 8 * 1024 * 1024
    rescan_interval_s: float = 60.0
    # per account and replica; far above any person, it caps a scripted flood (0 = off)
    upload_rate_per_minute: int = 600

    @property
    def is_scanning(self) -> bool:
        return self.clamav_host is not None
