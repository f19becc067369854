"""The suite figures: the default ``behave features/`` run as a user runs it, unpinned;
and the ``@core`` features against a server that breaks one reply rule, at two
timeouts, to show that a failure costs round trips, not the timeout."""

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
from wsharness import ServerProcess

WRONG_REPLY_FAULT = "bad-reply-format"
"""The broken server's fault (tests/servers/broken.py): GROUP_CREATED loses the space
after its colon, so every scenario that creates a group waits for a reply in vain."""

FAILING_TIMEOUTS = (3.0, 20.0)
"""The two ``-D timeout`` values the failing runs are timed at."""

FAILING_RATIO_TARGET = 1.5
"""Time at the long timeout ÷ time at the short one: at most this."""


@dataclass(frozen=True)
class SuiteTimes:
    """Median wall time of the runs, scenarios per run, median time per scenario."""

    wall_s: float
    scenarios: int
    scenario_ms: float


@dataclass(frozen=True)
class FailingSuiteTimes:
    """The ``@core`` features against a server with one wrong reply rule: median wall
    time at each timeout, the scenarios that failed, and the median time of a failed
    and of a passed scenario in the same runs."""

    wall_s: dict[float, float]
    failed: int
    failed_scenario_ms: float
    passed_scenario_ms: float

    @property
    def ratio(self) -> float:
        short, long = FAILING_TIMEOUTS
        return self.wall_s[long] / self.wall_s[short]


def measure_failing_suite(plan: Plan, log: Callable[[str], None]) -> FailingSuiteTimes:
    """``behave --tags @core`` against the broken server, at each timeout in turn."""
    behave = str(Path(sys.executable).with_name("behave"))
    argv = [sys.executable, "-m", "tests.servers.broken", "--fault", WRONG_REPLY_FAULT]
    walls: dict[float, list[float]] = {timeout: [] for timeout in FAILING_TIMEOUTS}
    failed_times: list[float] = []
    passed_times: list[float] = []
    failed = 0
    with ServerProcess([*argv, "--port", "0"], cwd=str(ROOT)) as server:
        for number in range(plan.suite_runs):
            for timeout in FAILING_TIMEOUTS:
                log(f"failing suite run {number + 1}/{plan.suite_runs}, timeout {timeout:g} s")
                with tempfile.TemporaryDirectory() as reports:
                    started = time.perf_counter()
                    subprocess.run(
                        [
                            *(behave, "features/", "--tags", "@core", "--format=null"),
                            *("-D", f"server_url={server.url}", "-D", f"timeout={timeout:g}"),
                            *("--junit", "--junit-directory", reports),
                        ],
                        cwd=ROOT,
                        capture_output=True,
                        timeout=RUN_TIMEOUT,
                        check=False,
                    )
                    walls[timeout].append(time.perf_counter() - started)
                    cases = [
                        case
                        for report in Path(reports).glob("*.xml")
                        for case in ElementTree.parse(report).getroot().iter("testcase")
                    ]
                failed = sum(1 for case in cases if case.get("status") == "failed")
                for case in cases:
                    times = {"failed": failed_times, "passed": passed_times}.get(
                        case.get("status", "")
                    )
                    if times is not None:
                        times.append(float(case.get("time", "0")))
    return FailingSuiteTimes(
        wall_s={timeout: median(times) for timeout, times in walls.items()},
        failed=failed,
        failed_scenario_ms=median(failed_times or [0.0]) * 1000,
        passed_scenario_ms=median(passed_times or [0.0]) * 1000,
    )


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
