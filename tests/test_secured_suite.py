"""The whole default suite against a secured deployment: wss:// and a token.

The server runs as it would on the open internet (a throwaway certificate, a
token file); the suite is given only the URL, the CA file and the token, by
behave's userdata or by the environment, and passes. Without them it stops
before any scenario with one line naming the cause.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from acceptance import testbed
from acceptance.testbed import Bed, Credentials
from tests.support import PROJECT_ROOT, RUN_TIMEOUT, run_behave


@pytest.fixture(scope="module")
def deployment() -> Iterator[Bed]:
    with testbed.start(secured=True) as bed:
        assert bed.url.startswith("wss://")
        yield bed


@pytest.fixture(scope="module")
def credentials(deployment: Bed) -> Credentials:
    assert deployment.credentials is not None
    return deployment.credentials


def _behave(*args: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("WS_")}
    return subprocess.run(
        [sys.executable, "-m", "behave", "--no-color", "-f", "progress", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
        env={**clean, **environment},
    )


def test_the_suite_passes_given_the_url_the_ca_file_and_the_token(
    deployment: Bed, credentials: Credentials, tmp_path: Path
) -> None:
    run = run_behave(
        *("-D", f"server_url={deployment.url}", "-D", f"ca_file={credentials.ca_file}"),
        *("-D", f"auth_token={credentials.token}"),
        report_dir=tmp_path,
    )
    assert run.returncode == 0, run.output
    assert run.with_status("passed") and not run.with_status("failed"), run.output


def test_the_suite_passes_given_the_same_through_the_environment(
    deployment: Bed, credentials: Credentials
) -> None:
    environment = {
        "WS_SERVER_URL": deployment.url,
        "WS_CA_FILE": str(credentials.ca_file),
        "WS_AUTH_TOKEN": credentials.token,
    }
    result = _behave(environment=environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failed" in result.stdout and " scenarios passed" in result.stdout


@pytest.mark.parametrize(
    ("missing", "cause"),
    [
        ("ca_file", "the server's TLS certificate is not trusted"),
        ("auth_token", "the server answered HTTP 401 (a token is required"),
    ],
)
def test_without_them_the_run_stops_with_one_line_naming_the_cause(
    deployment: Bed, credentials: Credentials, missing: str, cause: str
) -> None:
    given = {
        "WS_SERVER_URL": deployment.url,
        "WS_CA_FILE": str(credentials.ca_file),
        "WS_AUTH_TOKEN": credentials.token,
    }
    del given[{"ca_file": "WS_CA_FILE", "auth_token": "WS_AUTH_TOKEN"}[missing]]
    result = _behave(environment=given)
    assert result.returncode != 0
    said = [line for line in (result.stdout + result.stderr).splitlines() if cause in line]
    assert len(said) == 1, result.stdout + result.stderr
    assert said[0].startswith("ABORTED: cannot run the acceptance suite: the server (wss://")
    assert credentials.token not in result.stdout + result.stderr
