"""The four services as real processes (own vhost and databases, demo accounts) for the CLI."""

from __future__ import annotations

import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.intake.domain.credit_code import CHARSET, check_character
from tests.support.infra import ROOT, Infra
from tests.support.platform import Platform, demo_platform
from tests.support.smtp import SmtpServer

DEMO_PASSWORD = "cli-demo-password"
NATIONAL_ADMIN = "caq-admin"
UNIT_SECRETARY = "sichuan-secretary"
UNIT_ID = "sichuan"


@pytest.fixture(scope="package")
def platform(
    infra: Infra, smtp: SmtpServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    with demo_platform(
        infra,
        name="cli",
        smtp_port=smtp.port,
        data_dir=tmp_path_factory.mktemp("cli"),
        demo_password=DEMO_PASSWORD,
    ) as running:
        yield running


def credit_code() -> str:
    """A fresh valid 统一社会信用代码 (the check character computed, never reused)."""
    body = "9151" + "".join(secrets.choice(CHARSET) for _ in range(13))
    return body + check_character(body)


@dataclass
class Result:
    exit_code: int
    output: str


def run_admin(platform: Platform, username: str, *args: str) -> Result:
    """`qcflow admin …` as the operator runs it: a separate process, env for URLs and login."""
    env = {
        **os.environ,
        "QCFLOW_INTAKE_URL": platform.url("intake"),
        "QCFLOW_REVIEW_URL": platform.url("review"),
        "QCFLOW_ADMIN_USERNAME": username,
        "QCFLOW_ADMIN_PASSWORD": DEMO_PASSWORD,
        "COLUMNS": "300",
    }
    completed = subprocess.run(
        [sys.executable, "-c", "from services.admin_cli import app; app()", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return Result(completed.returncode, completed.stdout + completed.stderr)


def login(platform: Platform, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{platform.url('intake')}/api/login",
        json={"username": username, "password": DEMO_PASSWORD},
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def iso_in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def new_campaign(platform: Platform) -> str:
    campaign_id = f"cli-{uuid.uuid4().hex[:10]}"
    result = run_admin(
        platform,
        NATIONAL_ADMIN,
        "create-campaign",
        "--id",
        campaign_id,
        "--year",
        "2026",
        "--doc-number",
        "中国质协字〔2026〕12号",
        "--title",
        "关于开展2026年度全国质量管理小组活动推进工作的通知",
        "--theme",
        "数字赋能 提升效能",
        "--deadline",
        iso_in_days(60),
        "--contact",
        "质量活动推进部,qcc@caq.example.com",
    )
    assert result.exit_code == 0, result.output
    return campaign_id


def forward(platform: Platform, campaign_id: str) -> Result:
    return run_admin(
        platform,
        UNIT_SECRETARY,
        "forward-notice",
        campaign_id,
        "--doc-number",
        "川质协〔2026〕5号",
        "--title",
        "转发全国质量管理小组活动通知",
        "--deadline",
        iso_in_days(30),
        "--contact",
        "王芳,secretary@sc.example.com,13800138000",
    )


def member_enterprise(platform: Platform) -> str:
    """A member enterprise of the unit with a contact: forwarding then notifies someone."""
    enterprise_id = f"ent-{uuid.uuid4().hex[:10]}"
    response = httpx.post(
        f"{platform.url('intake')}/api/enterprises",
        headers=login(platform, UNIT_SECRETARY),
        json={
            "enterprise_id": enterprise_id,
            "name": f"成员企业{enterprise_id}",
            "credit_code": credit_code(),
            "contacts": [{"name": "联系人", "email": f"{enterprise_id}@example.com"}],
        },
    )
    assert response.status_code == 201, response.text
    return enterprise_id


@dataclass
class Lines:
    """JSON lines a subprocess prints, read on a thread so a test can wait with a timeout."""

    process: subprocess.Popen[str]
    lines: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.strip().startswith("{"):
                self.lines.put(json.loads(line))

    def next_matching(self, key: str, value: object, timeout_s: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line.get(key) == value:
                return line
        message = f"no line with {key}={value!r} in {timeout_s} s"
        raise TimeoutError(message)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=10)


def start_example(name: str, *args: str, env: dict[str, str] | None = None) -> Lines:
    process = subprocess.Popen(
        [sys.executable, str(Path(ROOT) / "examples" / name), *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    return Lines(process)
