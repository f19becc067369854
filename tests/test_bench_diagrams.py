"""The diagrams' cost, measured as bench measures it: one run each way, a ratio printed
beside its target."""

from __future__ import annotations

import re

from tests.support import run_python


def test_prints_the_ratio_beside_its_target() -> None:
    """``python -m bench.measure_diagrams --runs 1`` prints both times and the ratio."""
    result = run_python("-m", "bench.measure_diagrams", "--runs", "1")
    assert re.fullmatch(
        r"default suite with every report: \d+\.\d\d s with the diagrams, \d+\.\d\d s "
        r"without: \d+\.\d\dx \(target ≤ 1\.2x [✔✘]\)\n",
        result.stdout,
    ), result.stdout + result.stderr
