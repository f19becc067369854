"""The contract check in a team's own suite (tests/fixtures/tally, against
tests/servers/tally.py): fields typed as the contract types them, a frame outside the
contract after the last step, and a proof token in a frame that is not the proof."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from acceptance import testbed
from tests.support import PROJECT_ROOT, BehaveRun, run_behave
from wsharness.contract.fields import typed

FEATURES = str(PROJECT_ROOT / "tests" / "fixtures" / "tally")
TYPED = "An addition is answered with the running total"
LAST = "The answer is the last thing awaited"
PROOF_FIRST = "A proof of silence comes first"
ON_PURPOSE = "The answer is the last thing awaited on purpose"


@contextmanager
def tally(*options: str) -> Iterator[str]:
    """The tally server's URL, with ``options`` (a ``--fault``)."""
    command = [sys.executable, "-m", "tests.servers.tally", "--port", "0", *options]
    with testbed.start(command=command) as bed:
        yield bed.urls[0]


def run(url: str, scenario: str, tmp_path: Path) -> BehaveRun:
    name = f"^{re.escape(scenario)}$"
    return run_behave(FEATURES, "-n", name, "-D", f"server_url={url}", report_dir=tmp_path)


def test_integers_and_booleans_are_sent_and_compared_as_the_contract_types_them(
    tmp_path: Path,
) -> None:
    """``amount "2"`` and ``loud "true"`` go out as 2 and true, and the answer's 2, true
    and total 2 match the step's text."""
    with tally() as url:
        result = run(url, TYPED, tmp_path)
    assert result.statuses == {TYPED: "passed"}, result.output


def test_a_value_is_read_as_its_fields_type_or_left_as_written() -> None:
    """Only what the type can be written as converts; the rest stays text, for the
    contract check to name."""
    assert typed("2", ("integer",)) == 2
    assert typed("-1.5", ("number",)) == -1.5
    assert typed("true", ("boolean",)) is True
    assert typed("null", ("integer", "null")) is None
    assert typed("2", ("string", "integer")) == "2"
    assert typed("two", ("integer",)) == "two"
    assert typed("١٢", ("integer",)) == "١٢"
    assert typed("2", ()) == "2"


def test_a_frame_that_carries_a_proof_token_but_is_not_the_proof_is_checked(
    tmp_path: Path,
) -> None:
    """Only the adapter's own round trip, frame for frame, is exempt: an answer that
    carries a ping's token in a field the contract does not have fails its step."""
    with tally("--fault", "proof-echo") as url:
        result = run(url, PROOF_FIRST, tmp_path)
    assert result.statuses == {PROOF_FIRST: "failed"}, result.output
    assert "a frame outside the contract" in result.stdout, result.output
    assert "('note' was unexpected)" in result.stdout, result.output


def test_a_frame_outside_the_contract_after_the_last_step_fails_the_scenario(
    tmp_path: Path,
) -> None:
    """The server sends a bad answer after the last step (between the client's close
    and its own): the scenario fails when it ends, naming the frame and the field."""
    with tally("--fault", "late-on-close") as url:
        result = run(url, LAST, tmp_path)
    assert result.statuses[LAST] != "passed", result.output
    assert result.returncode != 0
    assert "after the scenario's last step, a frame outside the contract" in result.stdout, (
        result.output
    )
    assert 'Alice received \'{"op": "added", "amount": "lots"' in result.stdout
    assert "at amount: 'lots' is not of type 'integer'" in result.stdout, result.output


def test_a_scenario_that_breaks_the_contract_on_purpose_may_end_on_such_a_frame(
    tmp_path: Path,
) -> None:
    """With @breaks-contract, the late frame is marked and counted, not failed."""
    with tally("--fault", "late-on-close") as url:
        result = run(url, ON_PURPOSE, tmp_path)
    assert result.statuses == {ON_PURPOSE: "passed"}, result.output
