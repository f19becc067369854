"""The diagrams' cost, measured by ``python -m bench``: one run each way, a ratio printed
beside its baseline and target; ``--quick`` leaves it out and says so."""

from __future__ import annotations

import re

from tests.support import run_python


def test_bench_prints_the_ratio_beside_its_baseline_and_target() -> None:
    """``python -m bench --only diagrams --rounds 1``: a row with both times, the ratio
    and the target of 1.2x."""
    result = run_python("-m", "bench", "--only", "diagrams", "--rounds", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(median of 1 run(s) each)" in result.stdout, result.stdout
    assert re.search(
        r"^\| default suite with every report \(s\) \| \d+\.\d+ +\| \d+\.\d+ +\| "
        r"\d+\.\d\d× +\| ≤ 1\.2× [✔✘] +\|$",
        result.stdout,
        re.M,
    ), result.stdout + result.stderr


def test_quick_leaves_the_diagrams_out_and_says_so() -> None:
    """Two whole-suite runs per round are too long for ``.ci/run``'s ``bench --quick``."""
    result = run_python("-m", "bench", "--quick", "--only", "diagrams")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Diagrams: not measured with --quick" in result.stdout, result.stdout
