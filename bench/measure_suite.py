"""The suite figure: the default ``behave features/`` run as a user runs it, unpinned."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from bench.plan import Plan
from bench.processes import ROOT, RUN_TIMEOUT


@dataclass(frozen=True)
class SuiteTimes:
    """Median wall time of the runs, scenarios per run, median time per scenario."""

    wall_s: float
    scenarios: int
    scenario_ms: float


def measure_suite(plan: Plan, log: Callable[[str], None]) -> SuiteTimes:
    """Wall time of the default ``behave features/`` and the median scenario time."""
    walls: list[float] = []
    scenario_times: list[float] = []
    behave = str(Path(sys.executable).with_name("behave"))
    for number in range(plan.suite_runs):
        log(f"suite run {number + 1}/{plan.suite_runs}")
        with tempfile.TemporaryDirectory() as reports:
            started = time.perf_counter()
            subprocess.run(
                [behave, "features/", "--format=null", "--junit", "--junit-directory", reports],
                cwd=ROOT,
                capture_output=True,
                timeout=RUN_TIMEOUT,
                check=True,
            )
            walls.append(time.perf_counter() - started)
            for report in Path(reports).glob("*.xml"):
                for case in ElementTree.parse(report).getroot().iter("testcase"):
                    scenario_times.append(float(case.get("time", "0")))
    return SuiteTimes(
        wall_s=median(walls),
        scenarios=len(scenario_times) // max(plan.suite_runs, 1),
        scenario_ms=median(scenario_times) * 1000,
    )
