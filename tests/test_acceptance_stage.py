"""scripts/acceptance-stage does what a pipeline needs: pass on a good server, fail otherwise.

Each test runs the script in its own process, with its reports in a temporary
folder, against real server processes on loopback.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from tests.support import MS, PROJECT_ROOT, STAGE, behave_duration, run_stage
from wsharness import ConnectionFailed, ServerProcess, TestWebSocket

WAITS_FOREVER = PROJECT_ROOT / "tests" / "fixtures" / "waits_forever.feature"


def junit_totals(folder: Path) -> tuple[int, int]:
    """(test cases, failures) over every JUnit file in ``folder``."""
    tests = failures = 0
    for path in folder.glob("*.xml"):
        suite = ElementTree.parse(path).getroot()
        tests += int(suite.get("tests", "0"))
        failures += int(suite.get("failures", "0")) + int(suite.get("errors", "0"))
    return tests, failures


def test_passes_on_the_real_server_with_reports(tmp_path: Path) -> None:
    """The whole suite passes; JUnit, HTML and JSON reports and the server log are written."""
    result = run_stage("--reports", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(
        r"acceptance stage: started the server at ws://127\.0\.0\.1:\d+", result.stdout
    )
    assert re.search(r"acceptance stage: PASSED: \d+ scenarios passed, 0 failed", result.stdout)
    tests, failures = junit_totals(tmp_path / "junit")
    assert tests >= 20 and failures == 0, (tests, failures)
    assert "Chat server acceptance" in (tmp_path / "html" / "index.html").read_text("utf-8")
    assert (tmp_path / "behave.json").stat().st_size > 0
    server_log = (tmp_path / "server.log").read_text("utf-8")
    assert "listening on" in server_log and "shutting down" in server_log, server_log


def test_tests_a_deployed_server_without_starting_one(
    tmp_path: Path, deployed_server: ServerProcess
) -> None:
    """With --server-url the stage starts nothing and the traffic reaches that server."""
    assert deployed_server.url is not None
    mark = deployed_server.log_mark()
    result = run_stage("--server-url", deployed_server.url, "--reports", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"acceptance stage: testing 1 server: {deployed_server.url}; " in result.stdout
    assert "started the server" not in result.stdout
    assert len(deployed_server.log_lines(mark)) > 20
    assert not (tmp_path / "server.log").exists()


def broken_server(fault: str) -> str:
    """The command that starts the chat server with one rule broken (tests/servers/broken.py)."""
    return shlex.join([sys.executable, "-m", "tests.servers.broken", "--fault", fault])


def test_fails_on_a_server_that_breaks_one_rule(tmp_path: Path) -> None:
    """A server that starts and answers, but sends ECHO_TIMES_3 four times, fails the stage."""
    result = run_stage(
        "--server-command", broken_server("echo-four-times"), "--reports", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    match = re.search(r"FAILED: (\d+) scenarios passed, (\d+) failed", result.stdout)
    assert match and int(match[1]) > 0 and int(match[2]) > 0, result.stdout
    assert "What each person sent (→) and received (←)" in result.stdout
    tests, failures = junit_totals(tmp_path / "junit")
    assert failures == int(match[2]) and tests == failures + int(match[1]), (tests, failures)
    assert "features/echo.feature:" in (tmp_path / "rerun.txt").read_text("utf-8")
    drawn = list((tmp_path / "conversations").glob("echo--*.svg"))
    failed = [path for path in drawn if 'class="cv-step cv-failed"' in path.read_text("utf-8")]
    assert failed, f"no echo scenario's diagram marks a failed step: {drawn}"


def test_fails_when_the_server_does_not_start(tmp_path: Path) -> None:
    """A server command that exits instead of printing its URL fails in one line, untested."""
    command = shlex.join([sys.executable, "-c", "raise SystemExit('no config file')"])
    result = run_stage("--server-command", command, "--reports", str(tmp_path))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "acceptance stage: NOT RUN: the server did not start:" in result.stdout
    assert "exited with code 1 instead of its ws:// URL; it said: no config file" in result.stdout
    assert not (tmp_path / "behave.json").exists()


def test_fails_when_the_deployed_server_is_unreachable(tmp_path: Path) -> None:
    """A URL nobody listens on fails in one line naming the URL and the cause."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"ws://127.0.0.1:{probe.getsockname()[1]}"
    result = run_stage("--server-url", url, "--reports", str(tmp_path))
    assert result.returncode == 3, result.stdout + result.stderr
    failures = [line for line in result.stdout.splitlines() if "NOT RUN" in line]
    assert failures == [
        "acceptance stage: NOT RUN, the target does not work: the server "
        f"({url}) cannot be reached: connection refused (is the server running?)"
    ]
    assert "running:" not in result.stdout


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (
            ["--tags", ""],
            "argument --tags/-t: the tag expression is empty; leave --tags out to run "
            "every scenario",
        ),
        (
            ["--tags", "@core and"],
            "argument --tags/-t: bad tag expression '@core and': Syntax error. "
            "Expected operand after and",
        ),
        (["--timeout-scale", "0"], "argument --timeout-scale: must be more than 0, not 0"),
        (["--server-command", " "], "argument --server-command: the command is empty"),
        (["--no-such-option"], "unrecognized arguments: --no-such-option"),
    ],
    ids=["empty tags", "bad tags", "zero scale", "empty command", "unknown option"],
)
def test_bad_arguments_are_one_line_and_status_2(
    arguments: list[str], complaint: str, tmp_path: Path
) -> None:
    """Bad arguments are refused before anything starts, in one line on stderr; tag
    expressions are checked with behave's own parser."""
    result = run_stage(*arguments, "--reports", str(tmp_path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == f"scripts/acceptance-stage: error: {complaint} (see --help)\n"
    assert result.stdout == ""
    assert not (tmp_path / "junit").exists()


def test_fails_when_the_tags_select_no_scenario(tmp_path: Path) -> None:
    """behave exits 0 when a tag expression matches nothing; the stage says so in one
    line before it starts anything."""
    result = run_stage("--tags", "@no-scenario-has-this-tag", "--reports", str(tmp_path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == (
        "acceptance stage: NOT RUN, a setting is wrong: the selection selects no scenario: "
        "--tags @no-scenario-has-this-tag; check the paths and --tags\n"
    )
    assert not (tmp_path / "junit").exists()


def test_runs_only_the_selected_tags(tmp_path: Path) -> None:
    """A tag selection runs just the tagged scenarios, and passes when they pass."""
    result = run_stage("--tags", "@protocol", "--reports", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    ran = {
        feature["location"].split(":")[0]
        for feature in json.loads((tmp_path / "behave.json").read_text("utf-8"))
        for element in feature.get("elements", [])
        if element.get("status") == "passed"
    }
    tagged = {
        f"features/{path.name}"
        for path in (PROJECT_ROOT / "features").glob("*.feature")
        if path.read_text("utf-8").startswith("@protocol")
    }
    assert ran == tagged and "features/echo.feature" not in ran, (ran, tagged)
    assert re.search(r"PASSED: [1-9]\d* scenarios passed, 0 failed", result.stdout)


def test_its_counts_are_the_consoles(tmp_path: Path) -> None:
    """Scenarios the default tags leave out (@load) and those a hook skips (@cluster on
    one server) are counted as behave's console counts them, not as its JSON report
    does, which leaves the first out."""
    result = run_stage(
        *(f"features/{name}" for name in ("cluster.feature", "load.feature", "bad_input.feature")),
        *("--reports", str(tmp_path)),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    console = re.search(
        r"^(\d+) scenarios? passed, (\d+) failed, (\d+) skipped(?:, (\d+) untested)?$",
        result.stdout,
        re.M,
    )
    stage = re.search(
        r"PASSED: (\d+) scenarios passed, (\d+) failed, (\d+) skipped, (\d+) not run",
        result.stdout,
    )
    assert console and stage, result.stdout
    assert int(console[3]) > 0, "the run should skip scenarios"
    assert stage.groups() == (*console.groups()[:3], console[4] or "0"), result.stdout


def test_the_rerun_runs_the_failures_again_on_the_same_server_beside_the_first_reports(
    tmp_path: Path,
) -> None:
    """The printed rerun command, run as it stands, selects the scenarios that failed,
    tests the same server, and writes its reports beside the first run's."""
    first = run_stage(
        "--server-command", broken_server("echo-four-times"), "--reports", str(tmp_path),
    )  # fmt: skip
    assert first.returncode == 1, first.stdout + first.stderr
    rerun = tmp_path / "rerun.txt"
    failed = [
        line for line in rerun.read_text("utf-8").splitlines() if line.startswith("features/")
    ]
    assert failed, first.stdout
    printed = re.search(
        r"run the failures again: (scripts/acceptance-stage .*)$", first.stdout, re.M
    )
    assert printed, first.stdout
    words = shlex.split(printed[1])
    assert words[-3:] == ["--reports", str(tmp_path / "rerun-1"), f"@{rerun}"], words
    first_report = (tmp_path / "behave.json").read_text("utf-8")
    again = run_stage(*words[1:])
    # The same broken server: the same scenarios fail again, and only they ran.
    assert again.returncode == 1, again.stdout + again.stderr
    assert f"0 scenarios passed, {len(failed)} failed" in again.stdout
    assert (tmp_path / "rerun-1" / "behave.json").exists()
    assert (tmp_path / "behave.json").read_text("utf-8") == first_report
    assert str(tmp_path / "rerun-2") in again.stdout


def test_an_empty_rerun_list_runs_nothing_and_fails(tmp_path: Path) -> None:
    """After a green run there is nothing to run again: say so instead of running everything."""
    empty = tmp_path / "rerun.txt"
    empty.write_text("# -- RERUN: 0 failing scenarios during last test run.\n", "utf-8")
    result = run_stage(f"@{empty}", "--reports", str(tmp_path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{empty} lists no scenario to run again" in result.stdout


def test_sigterm_stops_behave_and_the_server(tmp_path: Path) -> None:
    """A CI job that times out sends SIGTERM: the stage leaves no behave and no server behind."""
    stage = subprocess.Popen(
        [
            "bash",
            str(STAGE),
            "--reports",
            str(tmp_path),
            str(WAITS_FOREVER),
            "--",
            *behave_duration("timeout", 60_000),
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
    )
    assert stage.stdout is not None
    url = None
    for line in stage.stdout:
        started = re.search(r"started the server at (ws://\S+):", line)
        url = started[1] if started else url
        if "running:" in line:
            break
    assert url is not None
    stage.send_signal(signal.SIGTERM)
    # communicate() returns once behave, too, has let go of stdout.
    rest, _ = stage.communicate(timeout=30_000 * MS)
    assert stage.returncode == 130, rest
    assert "ABORTED: interrupted; stopped behave and the server" in rest
    with pytest.raises(ConnectionFailed, match="connection refused"):
        TestWebSocket(url, timeout=5000 * MS).wait_until("open")
