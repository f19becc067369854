"""A deliberately failing scenario shows every person's transcript, on the console and in JUnit.

The scenarios in tests/fixtures/failing/ fail on purpose; behave runs them in
its own process against the project's server, as a developer would.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from tests.support import FAILING_FEATURES, MS, BehaveRun, behave_duration, run_behave

TRANSCRIPT_LINE = re.compile(r"^\s+\d+\.\d ms [→←·] ", re.MULTILINE)


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[BehaveRun, Path]:
    """One behave run of the failing fixture, with JUnit XML; shared by the tests here."""
    junit = tmp_path_factory.mktemp("junit")
    result = run_behave(
        str(FAILING_FEATURES),
        *behave_duration("timeout", 500),
        "--junit",
        f"--junit-directory={junit}",
        report_dir=tmp_path_factory.mktemp("reports"),
    )
    return result, junit


def test_failing_scenarios_fail_the_run(
    failing_run: tuple[BehaveRun, Path],
) -> None:
    """behave exits non-zero: the fixture really fails, so the checks below mean something."""
    result, _ = failing_run
    assert result.returncode == 1, result.output
    assert "0 scenarios passed, 2 failed" in result.stdout


def test_console_shows_every_persons_transcript(
    failing_run: tuple[BehaveRun, Path],
) -> None:
    """Each person appears with what they sent (→) and received (←), timed in ms."""
    output = failing_run[0].stdout
    first = output.split("Scenario: Echoes checked in the wrong order")[0]
    for person in ("Alice", "Bob", "Carol"):
        assert re.search(rf"^{person} \(ws://127\.0\.0\.1:\d+\):$", first, re.MULTILINE), first
    assert re.search(r"ms → '\{\"type\": \"MESSAGE_GROUP\"", first), first
    assert re.search(r"ms ← 'hello'", first), first
    assert len(TRANSCRIPT_LINE.findall(first)) >= 10, first


def test_transcript_shows_open_and_close_with_code(
    failing_run: tuple[BehaveRun, Path],
) -> None:
    """Opening and closing are transcript lines too; a close names its code."""
    output = failing_run[0].stdout
    assert re.search(r"ms · open$", output, re.MULTILINE), output
    assert re.search(r"ms · close code 1000$", output, re.MULTILINE), output


def test_failure_says_what_was_expected_and_what_arrived(
    failing_run: tuple[BehaveRun, Path],
) -> None:
    """The waiting step lists what arrived; the exact-list step shows PyHamcrest's mismatch."""
    output = failing_run[0].stdout
    assert f"Bob did not receive 'goodbye' within {500 * MS:g} s" in output, output
    assert "2. 'hello'" in output, output
    assert "Expected: <['second']>" in output, output
    assert "but: was <['first']>" in output, output


def test_server_log_lines_come_with_the_failure(
    failing_run: tuple[BehaveRun, Path],
) -> None:
    """The embedded server's log lines from the scenario follow the transcript."""
    output = failing_run[0].stdout
    assert "Server log during this scenario:" in output, output
    assert re.search(r"INFO connection opened 127\.0\.0\.1:\d+", output), output


def test_junit_xml_carries_the_failure_and_the_transcript(
    failing_run: tuple[BehaveRun, Path],
) -> None:
    """Each failing test case has a <failure> and the transcript in <system-out>."""
    _, junit = failing_run
    files = list(junit.glob("*.xml"))
    assert len(files) == 1, files
    suite = ElementTree.parse(files[0]).getroot()
    assert suite.get("failures") == "2"
    for case in suite.iter("testcase"):
        failure = case.find("failure")
        assert failure is not None, case.get("name")
        system_out = case.findtext("system-out") or ""
        assert "What each person sent (→) and received (←)" in system_out, system_out
        assert TRANSCRIPT_LINE.search(system_out), system_out
