"""The diagrams' cost: the default ``behave features/`` run with every report (HTML,
JSON, JUnit, a folder of standalone diagrams), once with the diagrams and once with
``-D diagrams=off``, in turn, ``plan.diagram_runs`` times each, unpinned as a user
runs it. :mod:`bench.report` prints the ratio beside its target."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.figure import Figure
from bench.plan import Plan
from bench.processes import ROOT, RUN_TIMEOUT


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


def measure_diagrams(plan: Plan, log: Callable[[str], None]) -> Figure:
    """Wall time with the diagrams (side ``with``) and without (side ``without``),
    back to back in every run, so that a busy moment weighs on both."""
    cost = Figure("default suite with every report", "s")
    for number in range(plan.diagram_runs):
        log(f"diagrams run {number + 1}/{plan.diagram_runs}, with and without")
        cost.add("with", run_suite(diagrams=True))
        cost.add("without", run_suite(diagrams=False))
    return cost
