"""Helpers for the tests that run behave, the acceptance stage, behavex and a browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FAILING_FEATURES = PROJECT_ROOT / "tests" / "fixtures" / "failing"
STAGE = PROJECT_ROOT / "scripts" / "acceptance-stage"

RUN_TIMEOUT = 120.0
"""Seconds any one behave, stage or browser run may take before the test fails."""


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a command from the project root and capture what it says."""
    return subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
        env={**os.environ, "PYTHON": sys.executable},
    )


def run_behave(*args: str) -> subprocess.CompletedProcess[str]:
    """Run behave in its own process, as a person would on the command line."""
    return run([sys.executable, "-m", "behave", "--no-color", *args])


def run_stage(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``scripts/acceptance-stage`` with this interpreter."""
    return run(["bash", str(STAGE), *args])


def chromium() -> str:
    """The headless browser's path; fails in CI (CI=true) when it is missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = "chromium is not installed (apt-get install -y chromium; .ci/run does it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
