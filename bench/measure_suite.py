"""The suite figures, ``behave features/`` run as a user runs it, unpinned: the default
suite; the ``@core`` features against a server that breaks one reply rule, at two timeouts,
to show that a failure costs round trips, not the timeout; and the default suite each way
of a switch (the contract on and off, the diagrams on and off) to show what it costs."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from pathlib import Path

from acceptance import testbed
from bench.figure import Figure
from bench.plan import Log, Plan
from bench.processes import ROOT, RUN_TIMEOUT, turns

WRONG_REPLY_FAULT = "bad-reply-format"
"""The broken server's fault (tests/servers/broken.py): GROUP_CREATED loses the space
after its colon, so every scenario that creates a group waits for a reply in vain."""
FAILING_TIMEOUTS = (3.0, 20.0)
"""The two ``-D timeout`` values the failing runs are timed at."""


def behave(
    *options: str, check: bool = True, reports: bool = False
) -> tuple[float, list[tuple[str, float]]]:
    """One ``behave features/`` run (``reports``: with every report, HTML, JSON, JUnit and
    a folder of diagrams): its wall time, and each scenario's status and time."""
    command = [str(Path(sys.executable).with_name("behave")), "features/", *options]
    with tempfile.TemporaryDirectory() as folder:
        if reports:
            command += ["-D", f"conversations={folder}/conversations"]
            command += ["-f", "html-pretty", "-o", f"{folder}/index.html"]
            command += ["-f", "json", "-o", f"{folder}/behave.json"]
        started = time.perf_counter()
        subprocess.run(
            [*command, "--format=null", "--junit", "--junit-directory", folder],
            cwd=ROOT,
            capture_output=True,
            timeout=RUN_TIMEOUT,
            check=check,
        )
        wall = time.perf_counter() - started
        cases = [
            (case.get("status", ""), float(case.get("time", "0")))
            for report in Path(folder).glob("*.xml")
            for case in ElementTree.parse(report).getroot().iter("testcase")
        ]
    return wall, cases


def measure_suite(plan: Plan, log: Log) -> Figure:
    """Wall time of the default ``behave features/`` (side ``wall``) and every
    scenario's time (side ``scenario``)."""
    suite = Figure("default behave features/", "s")
    for number in range(plan.suite_runs):
        log(f"suite run {number + 1}/{plan.suite_runs}")
        wall, cases = behave()
        suite.add("wall", wall)
        for _, seconds in cases:
            suite.add("scenario", seconds)
    return suite


def measure_failing_suite(plan: Plan, log: Log) -> Figure:
    """``behave --tags @core`` against the broken server, at each timeout in turn
    (sides ``timeout=3`` and ``timeout=20``), and the time of every failed and every
    passed scenario (sides ``failed`` and ``passed``)."""
    failing = Figure("@core against a broken server", "s")
    argv = [sys.executable, "-m", "tests.servers.broken", "--fault", WRONG_REPLY_FAULT]
    with testbed.start(command=[*argv, "--port", "0"]) as broken:
        for number in range(plan.suite_runs):
            for timeout in FAILING_TIMEOUTS:
                log(f"failing suite run {number + 1}/{plan.suite_runs}, timeout {timeout:g} s")
                options = ["--tags", "@core", "-D", f"server_url={broken.url}"]
                wall, cases = behave(*options, "-D", f"timeout={timeout:g}", check=False)
                failing.add(f"timeout={timeout:g}", wall)
                for status, seconds in cases:
                    if status in ("failed", "passed"):
                        failing.add(status, seconds)
    return failing


def each_way(
    figure: Figure, runs: int, ways: Mapping[str, tuple[str, ...]], log: Log, *, reports: bool
) -> Figure:
    """The wall time of the default suite run each way (the sides, each with its options)
    back to back, in alternating order, ``runs`` times each."""
    for run_label, side in turns(runs, list(ways)):
        log(f"{figure.name}, {side}, run {run_label}")
        figure.add(side, behave(*ways[side], reports=reports)[0])
    return figure


def measure_diagrams(plan: Plan, log: Log) -> Figure:
    """The default suite with every report, with the diagrams (side ``with``) and with
    ``-D diagrams=off`` (side ``without``), ``plan.diagram_runs`` times each."""
    ways = {"with": ("-D", "diagrams=on"), "without": ("-D", "diagrams=off")}
    cost = Figure("default suite with every report", "s")
    return each_way(cost, plan.diagram_runs, ways, log, reports=True)
