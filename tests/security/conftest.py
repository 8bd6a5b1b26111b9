"""Intake and review as real processes on the demo season, shared by the security tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from shared.auth import Principal, Role, issue_token
from tests.support.infra import Infra
from tests.support.platform import Platform, demo_platform
from tests.support.smtp import SmtpServer

DEMO_PASSWORD = "security-demo-password"
MAX_FILE = 8 * 1024 * 1024


@dataclass
class SecurityPlatform:
    platform: Platform
    secret: str

    def url(self, service: str) -> str:
        return self.platform.url(service)  # type: ignore[arg-type]

    def headers(self, principal: Principal) -> dict[str, str]:
        token = issue_token(principal, secret=self.secret, ttl_s=3600)
        return {"Authorization": f"Bearer {token}"}


APPLICANT = Principal("applicant", Role.APPLICANT, "xz-power", "朗杰")
SECRETARY = Principal("xizang-secretary", Role.UNIT_SECRETARY, "xizang", "仁青平措")


@pytest.fixture(scope="package")
def security_platform(
    infra: Infra, smtp: SmtpServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecurityPlatform]:
    data_dir = tmp_path_factory.mktemp("security")
    temp_dir = data_dir / "tmp"  # the services' tempfile.gettempdir(), to measure its growth
    temp_dir.mkdir()
    with demo_platform(
        infra,
        name="sec",
        smtp_port=smtp.port,
        data_dir=data_dir,
        demo_password=DEMO_PASSWORD,
        services=("intake", "review"),
        overrides={"TMPDIR": str(temp_dir), "QCFLOW_MAX_FILE_BYTES": str(MAX_FILE)},
    ) as running:
        settings = running.infra.settings(
            "intake", smtp_port=smtp.port, bucket=running.bucket, data_dir=data_dir
        )
        yield SecurityPlatform(running, settings.auth_secret.get_secret_value())
