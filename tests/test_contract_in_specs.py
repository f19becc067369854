"""The chat suite checks every frame against docs/asyncapi.yaml while it runs: a request
outside the contract fails its step, naming the field and the rule, unless the scenario
says @breaks-contract; the run's coverage is printed and written as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import PROJECT_ROOT, BehaveRun, run_behave

FEATURE = str(PROJECT_ROOT / "tests" / "fixtures" / "contract")
UNANNOUNCED = "A request outside the contract, unannounced"
ON_PURPOSE = "A request outside the contract, on purpose"


@pytest.fixture(scope="module")
def checked_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[BehaveRun, Path]:
    """One run of the fixture with the chat's contract on (the default), coverage written."""
    coverage = tmp_path_factory.mktemp("coverage") / "coverage.json"
    run = run_behave(
        FEATURE,
        "-D",
        f"contract_coverage={coverage}",
        report_dir=tmp_path_factory.mktemp("reports"),
    )
    return run, coverage


def test_an_unannounced_request_outside_the_contract_fails_its_step(
    checked_run: tuple[BehaveRun, Path],
) -> None:
    """The step that sent it fails, naming the person, the frame, the field and the rule."""
    run, _ = checked_run
    assert run.statuses == {UNANNOUNCED: "failed", ON_PURPOSE: "passed"}, run.output
    failure = run.stdout.split(UNANNOUNCED)[1]
    step, message = failure.split("ASSERT FAILED: ", 1)
    assert (
        step.rstrip()
        .splitlines()[-1]
        .strip()
        .startswith('When Alice sends the text "{"type": "ECHO", "value": 3}" ... failed')
    ), step
    assert "a frame outside the contract" in message
    assert (
        """Alice sent '{"type": "ECHO", "value": 3}': not a valid ECHO (echo): """
        "at value: 3 is not of type 'string'"
    ) in message


def test_the_frame_is_marked_in_the_transcript(checked_run: tuple[BehaveRun, Path]) -> None:
    """The person's transcript shows which frame broke the contract."""
    run, _ = checked_run
    assert (
        """→ '{"type": "ECHO", "value": 3}'   ✗ outside the contract: not a valid ECHO"""
        in run.stdout
    ), run.stdout


def test_the_coverage_is_printed_and_written(checked_run: tuple[BehaveRun, Path]) -> None:
    """The console lists each message with its counts; the JSON file has the same,
    the frames outside the contract counted apart, and the proofs not at all."""
    run, path = checked_run
    assert "Contract coverage of" in run.stderr, run.stderr
    assert "never exercised" in run.stderr
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["messages"]["valueNotAString"]["received"] == 2
    assert report["messages"]["echo"]["sent"] == 0, "the adapter's round trips are not counted"
    assert report["outside"] == {"sent": 2, "received": 0}
    assert report["operations"]["receiveEcho"] == {"action": "receive", "count": 0}


def test_the_check_can_be_switched_off(tmp_path: Path) -> None:
    """-D contract=off: no check, the unannounced scenario passes."""
    run = run_behave(FEATURE, "-D", "contract=off", report_dir=tmp_path)
    assert run.statuses == {UNANNOUNCED: "passed", ON_PURPOSE: "passed"}, run.output


def test_an_unusable_contract_stops_the_run_in_one_line(tmp_path: Path) -> None:
    """A contract that is not AsyncAPI 3 stops the run before anything starts."""
    bogus = tmp_path / "bogus.yaml"
    bogus.write_text("openapi: 3.1.0\n", encoding="utf-8")
    run = run_behave(FEATURE, "-D", f"contract={bogus}", report_dir=tmp_path)
    assert run.returncode != 0
    assert f"the contract {bogus} is not an AsyncAPI 3 document" in run.stderr, run.stderr
