"""Measure the suite's wall time with behave alone and with behavex in parallel.

Run through ``scripts/measure-parallel [--runs N]``: each way runs ``N`` times,
interleaved so that a busy moment spreads over all of them, and the medians are printed
as a Markdown table for docs/reports-and-ci.md. A failed run stops the measurement.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from acceptance import testbed
from acceptance.testbed import PROJECT_ROOT


@dataclass(frozen=True)
class Way:
    """One way of running the features, and how it is described in the table."""

    name: str
    command: list[str]


def ways(bin_dir: Path, output: Path, server_url: str) -> list[Way]:
    behave = [str(bin_dir / "behave"), "--format=null", "--no-summary"]
    # behavex does not read behave.ini's default_tags: leave @load out as behave does.
    behavex = [str(bin_dir / "behavex"), "--no-color", "-o", str(output), "-t", "not @load"]
    external = ["-D", f"server_url={server_url}"]
    two = [*behavex, "--parallel-processes", "2", "--parallel-scheme"]
    return [
        Way("behave, 1 process, own server", behave),
        Way("behave, 1 process, one external server", behave + external),
        Way("behavex, 1 process, per feature", [*behavex, "--parallel-processes", "1"]),
        *(
            Way(f"behavex, 2 processes, per {scheme}{server}", [*two, scheme, *options])
            for server, options in (("", []), (", one external server", external))
            for scheme in ("feature", "scenario")
        ),
    ]


def wall_time(way: Way) -> float:
    """Seconds one run took; raises if it failed."""
    started = time.perf_counter()
    result = subprocess.run(
        way.command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    took = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{way.name} failed ({result.returncode}):\n{result.stdout[-2000:]}")
    return took


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/measure-parallel", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs of each way (default 5)")
    args = parser.parse_args(argv)
    bin_dir = Path(sys.executable).parent
    output = Path(tempfile.mkdtemp(prefix="behavex-"))
    with testbed.start() as server:
        measured = ways(bin_dir, output, server.url)
        times: dict[str, list[float]] = {way.name: [] for way in measured}
        for _ in range(args.runs):
            for way in measured:
                times[way.name].append(wall_time(way))
    shutil.rmtree(output, ignore_errors=True)
    base = statistics.median(times[measured[0].name])
    print(f"Median wall time of {args.runs} runs each, on this machine:\n")
    print("| how | wall time | vs behave |")
    print("| --- | ---: | ---: |")
    for way in measured:
        median = statistics.median(times[way.name])
        print(f"| {way.name} | {median:.2f} s | {base / median:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
