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
from acceptance.testbed import Credentials
from tests.support import PROJECT_ROOT, RUN_TIMEOUT, run_behave
from wsharness import ServerProcess


@pytest.fixture(scope="module")
def credentials(tmp_path_factory: pytest.TempPathFactory) -> Credentials:
    return Credentials.create(tmp_path_factory.mktemp("credentials"))


@pytest.fixture(scope="module")
def deployment(credentials: Credentials) -> Iterator[ServerProcess]:
    options = ["--auth-token-file", str(credentials.token_file), *credentials.tls_options()]
    with testbed.start(*options).process as server:
        assert server.url is not None and server.url.startswith("wss://")
        yield server


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
    deployment: ServerProcess, credentials: Credentials, tmp_path: Path
) -> None:
    run = run_behave(
        *("-D", f"server_url={deployment.url}", "-D", f"ca_file={credentials.ca_file}"),
        *("-D", f"auth_token={credentials.token}"),
        report_dir=tmp_path,
    )
    assert run.returncode == 0, run.output
    assert run.with_status("passed") and not run.with_status("failed"), run.output


def test_the_suite_passes_given_the_same_through_the_environment(
    deployment: ServerProcess, credentials: Credentials
) -> None:
    assert deployment.url is not None
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
    deployment: ServerProcess, credentials: Credentials, missing: str, cause: str
) -> None:
    assert deployment.url is not None
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
