"""Intake and review as real processes on the demo season, shared by the security tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from shared.auth import Principal, Role, issue_token
from tests.builders import unique
from tests.support.infra import ROOT, Infra
from tests.support.platform import Platform
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
    (data_dir / "tmp").mkdir()
    running = Platform(infra, smtp.port, bucket=unique("sec"), data_dir=data_dir)
    # the services' own temp dir (tempfile.gettempdir() in them), so its growth can be measured
    running.overrides |= {"TMPDIR": str(data_dir / "tmp"), "QCFLOW_MAX_FILE_BYTES": str(MAX_FILE)}
    subprocess.run(
        [sys.executable, "-m", "services.cli", "seed-demo"],
        check=True,
        cwd=ROOT,
        env={**running.env("intake"), "QCFLOW_DEMO_PASSWORD": DEMO_PASSWORD},
        capture_output=True,
    )
    running.start("intake", "review")
    settings = infra.settings(
        "intake", smtp_port=smtp.port, bucket=running.bucket, data_dir=running.data_dir
    )
    yield SecurityPlatform(running, settings.auth_secret.get_secret_value())
    running.stop()
