"""The acceptance suite as a whole: repeatable, order-free, concurrent, and clear
when the server is missing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from acceptance import testbed
from tests.support import MS, PROJECT_ROOT, RUN_TIMEOUT, behave_duration, run_behave, run_python

REPEATS = 20


@pytest.fixture(scope="module")
def long_lived_server() -> Iterator[str]:
    """One server for several behave runs, as a deployed server would be."""
    with testbed.start().process as server:
        assert server.url is not None
        yield server.url


def _scenario_locations(report_dir: Path) -> list[str]:
    """file:line of every scenario (each outline row too) that runs on one server,
    from a dry run; the @cluster ones need several (tests/test_cluster_specs.py), and
    the @rate-limited ones a server of their own, started with --max-rate."""
    report = report_dir / "dry.json"
    result = run_python(
        "-m",
        "behave",
        "--dry-run",
        "--tags=not @cluster and not @secured and not @load and not @rate-limited",
        "-f",
        "json",
        "-o",
        str(report),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return [
        element["location"]
        for feature in json.loads(report.read_text())
        for element in feature.get("elements", [])
        if element.get("type") == "scenario"
    ]


def test_the_suite_passes_20_times_in_a_row(tmp_path: Path) -> None:
    """Twenty full runs, each with its own embedded server: twenty green."""
    for attempt in range(REPEATS):
        run = run_behave(report_dir=tmp_path)
        assert run.returncode == 0, f"run {attempt + 1} of {REPEATS}:\n{run.output}"
        assert run.statuses and not run.with_status("failed")


def test_every_scenario_passes_alone_in_reverse_order(
    tmp_path: Path, long_lived_server: str
) -> None:
    """Each scenario run on its own, last to first, against one long-lived server."""
    locations = _scenario_locations(tmp_path)
    assert len(locations) > 20
    for location in reversed(locations):
        run = run_behave(location, "-D", f"server_url={long_lived_server}", report_dir=tmp_path)
        assert run.returncode == 0, f"{location}:\n{run.output}"
        assert list(run.statuses.values()) == ["passed"], location


def test_two_runs_at_once_against_one_server_both_pass(
    tmp_path: Path, long_lived_server: str
) -> None:
    """Concurrent runs meet no one else's groups: unique names keep them apart."""
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "behave",
                "-f",
                "progress",
                "-D",
                f"server_url={long_lived_server}",
            ],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    for run in runs:
        output, _ = run.communicate(timeout=RUN_TIMEOUT)
        assert run.returncode == 0, output


def test_an_unreachable_server_stops_the_run_with_one_line() -> None:
    """No server at the URL: one line naming URL and cause, no scenario run, exit 1."""
    result = run_python("-m", "behave", "-D", "server_url=ws://127.0.0.1:9")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "testing 1 server: ws://127.0.0.1:9; TLS: no (ws://); token: none; origin: none",
        "ABORTED: cannot run the acceptance suite: the server (ws://127.0.0.1:9) "
        "cannot be reached: connection refused (is the server running?)",
    ]
    assert "Traceback" not in result.stdout
    assert "0 scenarios passed, 0 failed" in result.stdout


def test_the_environment_variable_also_points_the_suite_at_a_server(
    long_lived_server: str,
) -> None:
    """WS_SERVER_URL does what -D server_url does: a dead URL fails the run (so no
    server of its own was started), a live one passes."""

    def run_with(url: str) -> subprocess.CompletedProcess[str]:
        return run_python(
            "-m", "behave", "-f", "progress", "features/echo.feature", env={"WS_SERVER_URL": url}
        )

    dead = run_with("ws://127.0.0.1:9")
    assert dead.returncode == 1
    assert "the server (ws://127.0.0.1:9) cannot be reached" in dead.stderr
    live = run_with(long_lived_server)
    assert live.returncode == 0, live.stdout + live.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_an_interrupted_run_stops_says_so_and_stops_its_server(signum: int) -> None:
    """Ctrl-C (SIGINT to behave's whole process group, as a terminal sends it) or a CI
    job's SIGTERM in the middle of a step: behave stops, says it was aborted, and stops
    the server it started."""
    behave = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "behave",
            "-f",
            "plain",
            "--no-capture",
            *behave_duration("timeout", 60_000),
            "tests/fixtures/waits_forever.feature",
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a process group of its own, as a terminal gives a job
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert behave.stdout is not None
    try:
        for line in behave.stdout:  # blocks until the step before the long wait has passed
            if "Given Alice is connected ... passed" in line:
                break
        (server,) = psutil.Process(behave.pid).children()
        if signum == signal.SIGINT:
            os.killpg(behave.pid, signum)
        else:
            behave.send_signal(signum)
        output = behave.communicate(timeout=30_000 * MS)[0]
    finally:
        behave.kill()
        behave.wait()
    assert behave.returncode == 1, output
    assert "ABORTED: By user." in output, output
    server.wait(10)  # raises psutil.TimeoutExpired if the server is still running


def test_a_swallowed_ctrl_c_still_stops_the_run_without_false_failures(tmp_path: Path) -> None:
    """A Ctrl-C whose KeyboardInterrupt lands where it is swallowed (as in logging's
    handler clean-up) must not let the run carry on: the scenario it hit is aborted, the
    next one does not run, and nothing fails because the server went away."""
    report = tmp_path / "behave.json"
    behave = subprocess.run(
        [
            sys.executable,
            "-m",
            "behave",
            "--no-color",
            *("-f", "json", "-o", str(report)),
            *("-f", "plain", "--no-capture"),
            "tests/fixtures/swallowed_interrupt/",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        start_new_session=True,  # the fixture sends SIGINT to its own process group
    )
    output = behave.stdout + behave.stderr
    assert behave.returncode == 1, output
    assert "ABORTED: interrupted by SIGINT" in behave.stderr, output
    assert "connection refused" not in output, output
    statuses = {
        element["name"]: element["status"]
        for feature in json.loads(report.read_text())
        for element in feature.get("elements", [])
        if element.get("type") == "scenario"
    }
    assert "failed" not in statuses.values(), statuses
    assert statuses.get("The scenario after the Ctrl-C", "untested") == "untested", statuses
