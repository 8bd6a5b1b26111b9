"""CPU priority of service processes: background services yield, nothing ever raises one."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from shared.priority import BACKGROUND_NICENESS
from shared.settings import settings_for
from tests.support.infra import ROOT


@pytest.mark.parametrize(
    ("service", "niceness"),
    [
        ("intake", 0),
        ("render", 0),
        ("notify", BACKGROUND_NICENESS),
        ("review", BACKGROUND_NICENESS),
    ],
)
def test_background_services_default_to_the_background_niceness(
    service: str, niceness: int
) -> None:
    assert settings_for(service).process_niceness == niceness  # type: ignore[arg-type]


def test_an_operator_sets_the_niceness_of_any_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QCFLOW_NICENESS", "0")
    assert settings_for("notify").process_niceness == 0
    monkeypatch.setenv("QCFLOW_NICENESS", "5")
    assert settings_for("intake").process_niceness == 5


@pytest.mark.parametrize("value", ["-1", "20", "high"])
def test_a_niceness_outside_0_to_19_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("QCFLOW_NICENESS", value)
    with pytest.raises(ValidationError, match="niceness"):
        settings_for("notify")


def niceness_after(*targets: int) -> list[int]:
    """Calls lower_cpu_priority with each target in a fresh process (this one keeps its own)."""
    script = (
        "import os, sys, threading\n"
        "from shared.priority import lower_cpu_priority\n"
        "for target in map(int, sys.argv[1:]):\n"
        "    print(lower_cpu_priority(target), end=' ')\n"
        "seen = []\n"
        "thread = threading.Thread(target=lambda: seen.append(os.nice(0)))\n"
        "thread.start(); thread.join()\n"
        "print(seen[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, targets)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return [int(word) for word in done.stdout.split()]


def test_lowering_reaches_the_target_and_threads_started_later_inherit_it() -> None:
    start = subprocess.run(
        [sys.executable, "-c", "import os; print(os.nice(0))"],
        capture_output=True,
        text=True,
        check=True,
    )
    base = int(start.stdout)
    target = max(base, BACKGROUND_NICENESS)
    assert niceness_after(BACKGROUND_NICENESS) == [target, target]


def test_a_lower_target_never_raises_the_priority() -> None:
    first, second, in_thread = niceness_after(BACKGROUND_NICENESS, 3)
    assert first == second == in_thread >= BACKGROUND_NICENESS
