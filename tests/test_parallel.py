"""The suite passes under behavex, several processes at once, and failures keep their transcript.

behavex runs the features in worker processes; each behave run in a worker
starts its own server on a free port (environment.py's before_all), unless
all of them are pointed at one external server with ``-D server_url``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.support import FAILING_FEATURES, behave_duration, run
from wsharness import ServerProcess
from wsharness.bdd.diagnostics import EVIDENCE_FILE

BEHAVEX = str(Path(sys.executable).parent / "behavex")


def run_behavex(output: Path, *args: str) -> tuple[int, str]:
    result = run(
        [
            BEHAVEX,
            "--no-color",
            "--parallel-processes",
            "2",
            "-o",
            str(output),
            "-t",
            "not @load",
            *args,
        ]
    )
    return result.returncode, result.stdout + result.stderr


def test_passes_in_two_processes_per_feature(tmp_path: Path) -> None:
    """Every feature in a worker of its own, each with its own server."""
    code, output = run_behavex(tmp_path, "--parallel-scheme", "feature")
    assert code == 0, output
    assert re.search(r"\b[1-9]\d* scenarios passed, 0 failed", output), output
    assert (tmp_path / "report.html").exists()


@pytest.mark.timeout(300)
def test_passes_in_two_processes_per_scenario(tmp_path: Path) -> None:
    """Every scenario in a behave run of its own, each with its own server: a hundred
    behave processes and servers, near two minutes on a loaded 2-core machine, so it
    has more than the default 120 s."""
    code, output = run_behavex(tmp_path, "--parallel-scheme", "scenario")
    assert code == 0, output
    assert re.search(r"\b[1-9]\d* scenarios passed, 0 failed", output), output


def test_passes_with_all_processes_on_one_external_server(
    tmp_path: Path,
    deployed_server: ServerProcess,
) -> None:
    """Workers share one server; unique group names keep their scenarios apart."""
    mark = deployed_server.log_mark()
    code, output = run_behavex(
        tmp_path, "--parallel-scheme", "scenario", "-D", f"server_url={deployed_server.url}"
    )
    assert code == 0, output
    assert re.search(r"\b[1-9]\d* scenarios passed, 0 failed", output), output
    assert len(deployed_server.log_lines(mark)) > 40


def test_a_failure_keeps_its_transcript_under_behavex(tmp_path: Path) -> None:
    """The run fails, and each failed scenario's evidence holds every person's transcript."""
    code, output = run_behavex(tmp_path, str(FAILING_FEATURES), *behave_duration("timeout", 500))
    assert code != 0, output
    assert "0 scenarios passed, 2 failed" in output, output
    evidence = sorted(tmp_path.glob(f"outputs/logs/*/evidence/{EVIDENCE_FILE}"))
    assert len(evidence) == 2, output
    texts = [path.read_text("utf-8") for path in evidence]
    assert any("Carol (ws://" in text and "← 'hello'" in text for text in texts), texts
    assert EVIDENCE_FILE in (tmp_path / "report.html").read_text("utf-8")
