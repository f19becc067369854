"""What drawing the conversations costs.

    .venv/bin/python -m bench.measure_diagrams [--runs 5]

The default ``behave features/`` run with every report (HTML, JSON, JUnit, a folder of
standalone diagrams), once with the diagrams and once with ``-D diagrams=off``, in
turn, ``--runs`` times each; the median wall times and their ratio, printed beside
its target: at most :data:`RATIO_TARGET`. (A module of its own, run by hand, not
yet one of ``python -m bench``'s figures.)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from bench.processes import ROOT, RUN_TIMEOUT

RATIO_TARGET = 1.2
"""Wall time with the diagrams ÷ wall time without: at most this."""


@dataclass(frozen=True)
class DiagramCost:
    """Median wall time of the runs with and without the diagrams."""

    with_s: float
    without_s: float

    @property
    def ratio(self) -> float:
        return self.with_s / self.without_s

    def line(self) -> str:
        met = "✔" if self.ratio <= RATIO_TARGET else "✘"
        return (
            f"default suite with every report: {self.with_s:.2f} s with the diagrams, "
            f"{self.without_s:.2f} s without: {self.ratio:.2f}x "
            f"(target ≤ {RATIO_TARGET:g}x {met})"
        )


def run_suite(*, diagrams: bool) -> float:
    """One default run with every report; its wall time in seconds."""
    with tempfile.TemporaryDirectory() as reports:
        folder = Path(reports)
        command = [
            *(sys.executable, "-m", "behave", "features/", "--no-color"),
            *("-D", f"diagrams={'on' if diagrams else 'off'}"),
            *("-D", f"conversations={folder / 'conversations'}"),
            *("-f", "html-pretty", "-o", str(folder / "index.html")),
            *("-f", "json", "-o", str(folder / "behave.json"), "-f", "null"),
            *("--junit", f"--junit-directory={folder / 'junit'}"),
        ]
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, timeout=RUN_TIMEOUT, check=True)
        return time.perf_counter() - started


def measure(runs: int) -> DiagramCost:
    """``runs`` runs each way, alternated so that a busy moment weighs on both."""
    with_diagrams: list[float] = []
    without: list[float] = []
    for _ in range(runs):
        with_diagrams.append(run_suite(diagrams=True))
        without.append(run_suite(diagrams=False))
    return DiagramCost(median(with_diagrams), median(without))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="What drawing the conversations costs.")
    parser.add_argument("--runs", type=int, default=5, help="runs each way (default 5)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    cost = measure(args.runs)
    print(cost.line())
    return 0 if cost.ratio <= RATIO_TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
