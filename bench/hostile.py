"""Hostile clients, our server against the ceiling: a flood, and a member who never reads.

**Flood.** An observer times sequential echoes alone, then again while one other
client pipelines ECHO_TIMES_3 requests as fast as the server takes them and reads
every reply (:func:`bench.hostile_load.flood`). Target: the observer's p99 under
the flood within :data:`FLOOD_P99_TARGET_MS`, and the flooder gets every reply it
is owed. The observer stops after :attr:`Plan.flood_within` seconds, so a server
that makes it wait hundreds of milliseconds per echo is still measured, on fewer
echoes.

**Slow reader.** A poster sends 1 KiB posts as fast as the server takes them to a
group of readers and one member who never reads
(:func:`bench.hostile_load.slow_reader`). Target: the server's peak memory grows
by at most :data:`GROWTH_TARGET_MIB`, the idle member is cut off, the poster and
the readers get every post.

Both are printed beside the figures measured for the issue that asked for them
(:data:`REFERENCE`): this server before the change, and Node.js ``ws``.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bench.hostile_load import Result
from bench.processes import LOAD_CPU, ROOT, RUN_TIMEOUT, ServerKind, cpu_seconds, pinned
from bench.processes import server as start_server
from bench.report import number, table
from wsharness import ServerProcess

FLOOD_P99_TARGET_MS = 10.0
GROWTH_TARGET_MIB = 32.0
REFERENCE = {
    "flood": "before each connection gave the others a turn: p99 480 ms under the flood "
    "(0.3 ms alone); Node.js ws: p99 1.2 ms under the same flood",
    "slow": "before the outgoing queue limit: +107 MiB, the idle member stayed connected; "
    "Node.js ws: +181 MiB",
}
"""Figures measured on this machine's kind of VM for the issue, with the same loads."""
STARTED_TIMEOUT = 30.0
"""Seconds the flooder may take to get its first replies."""


@dataclass(frozen=True)
class Plan:
    """How much to measure; ``--quick`` trades precision for time."""

    rounds: int = 3
    flood_echoes: int = 1000
    flood_within: float = 20.0
    slow_posts: int = 100_000
    post_size: int = 1024


QUICK = Plan(rounds=1, flood_within=5.0)

Log = Callable[[str], None]


def run_json(argv: list[str]) -> Result:
    """Run a load process on the load core; return the JSON object it printed last."""
    completed = subprocess.run(
        pinned(LOAD_CPU, [sys.executable, *argv]),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{completed.stderr[-3000:]}")
    result: Result = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def protocol_of(kind: str) -> str:
    return "chat" if kind == "ours" else "plain"


def observe(process: ServerProcess, kind: str, plan: Plan) -> Result:
    assert process.url is not None
    return run_json(
        [
            "-m",
            "bench.hostile_load",
            "observe",
            process.url,
            "--protocol",
            protocol_of(kind),
            "--count",
            str(plan.flood_echoes),
            "--within",
            str(plan.flood_within),
        ]
    )


@contextmanager
def flooding(process: ServerProcess, kind: str) -> Iterator[Result]:
    """A flooder running against ``process`` for the ``with`` block; the result it
    yields is filled in with what the flooder sent and received once it has stopped."""
    assert process.url is not None
    argv = [sys.executable, "-m", "bench.hostile_load", "flood", process.url]
    argv += ["--protocol", protocol_of(kind)]
    result: Result = {}
    with subprocess.Popen(
        pinned(LOAD_CPU, argv), cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as flooder:
        assert flooder.stdin is not None and flooder.stdout is not None
        try:
            ready, _, _ = select.select([flooder.stdout], [], [], STARTED_TIMEOUT)
            if not ready or not flooder.stdout.readline():
                raise RuntimeError(f"the flooder got no reply within {STARTED_TIMEOUT:g} s")
            yield result
            flooder.stdin.write("stop\n")
            flooder.stdin.flush()
            output, _ = flooder.communicate(timeout=RUN_TIMEOUT)
            result.update(json.loads(output.strip().splitlines()[-1]))
        finally:
            if flooder.poll() is None:
                flooder.kill()


def measure_flood(plan: Plan, log: Log) -> dict[str, list[Result]]:
    """Observer alone and under a flood, ours and the ceiling, alternating, per round."""
    runs: dict[str, list[Result]] = {"ceiling": [], "ours": []}
    for round_number in range(plan.rounds):
        order: list[ServerKind] = (
            ["ceiling", "ours"] if round_number % 2 == 0 else ["ours", "ceiling"]
        )
        for kind in order:
            log(f"flood round {round_number + 1}/{plan.rounds}: {kind}")
            with start_server(kind, "auto") as process:
                assert process.pid is not None
                alone = observe(process, kind, plan)
                with flooding(process, kind) as flooder:
                    busy_before, started = cpu_seconds(process.pid), time.perf_counter()
                    flooded = observe(process, kind, plan)
                    busy = (cpu_seconds(process.pid) - busy_before) / (
                        time.perf_counter() - started
                    )
            runs[kind].append(
                {"alone": alone, "flooded": flooded, "flooder": flooder, "server_busy": busy}
            )
            log(
                f"  p99 alone {alone['p99_ms']:.2f} ms, under the flood "
                f"{flooded['p99_ms']:.2f} ms ({flooded['round_trips']} echoes)"
            )
    return runs


def measure_slow_reader(plan: Plan, log: Log) -> dict[str, list[Result]]:
    """Posts to a group with a member who never reads, ours and the ceiling, per round."""
    runs: dict[str, list[Result]] = {"ceiling": [], "ours": []}
    for round_number in range(plan.rounds):
        for kind in ("ceiling", "ours") if round_number % 2 == 0 else ("ours", "ceiling"):
            log(f"slow reader round {round_number + 1}/{plan.rounds}: {kind}")
            with start_server(kind, "auto") as process:
                assert process.url is not None
                result = run_json(
                    [
                        "-m",
                        "bench.hostile_load",
                        "slow-reader",
                        process.url,
                        "--protocol",
                        protocol_of(kind),
                        "--server-pid",
                        str(process.pid),
                        "--posts",
                        str(plan.slow_posts),
                        "--size",
                        str(plan.post_size),
                    ]
                )
            runs[kind].append(result)
            log(f"  memory +{result['growth_mib']:.1f} MiB, cut off: {result['idle_cut_off']}")
    return runs


def _worst(runs: list[Result], key: Callable[[Result], float]) -> float:
    return max(key(run) for run in runs)


def flood_table(runs: dict[str, list[Result]], plan: Plan) -> str:
    """Worst round of each server: the target must hold in every round."""
    rows = []
    for kind in ("ours", "ceiling"):
        kind_runs = runs[kind]
        timed = min(run["flooded"]["round_trips"] for run in kind_runs)
        p99 = _worst(kind_runs, lambda run: run["flooded"]["p99_ms"])
        owed = all(run["flooder"]["replies"] >= run["flooder"]["owed"] for run in kind_runs)
        verdict = ""
        if kind == "ours":
            met = p99 <= FLOOD_P99_TARGET_MS and owed
            verdict = f"p99 ≤ {FLOOD_P99_TARGET_MS:g} ms, every reply: " + ("✔" if met else "✘")
        alone_p50 = _worst(kind_runs, lambda run: run["alone"]["p50_ms"])
        alone_p99 = _worst(kind_runs, lambda run: run["alone"]["p99_ms"])
        flooded_p50 = _worst(kind_runs, lambda run: run["flooded"]["p50_ms"])
        cut_short = "" if timed >= plan.flood_echoes else f" in {plan.flood_within:g} s"
        rows.append(
            [
                kind,
                f"{number(alone_p50)} / {number(alone_p99)}",
                f"{number(flooded_p50)} / {number(p99)}",
                f"{timed:,}{cut_short}",
                number(min(run["flooder"]["requests_per_second"] for run in kind_runs)),
                "yes" if owed else "NO",
                f"{max(run['server_busy'] for run in kind_runs):.0%}",
                verdict,
            ]
        )
    headers = [
        "server",
        "echo alone p50 / p99 ms",
        "under flood p50 / p99 ms",
        "echoes timed",
        "flood req/s",
        "flooder got every reply",
        "server core busy",
        "target",
    ]
    return table(headers, rows)


def slow_reader_table(runs: dict[str, list[Result]], plan: Plan) -> str:
    """Worst round of each server."""
    rows = []
    for kind in ("ours", "ceiling"):
        kind_runs = runs[kind]
        growth = _worst(kind_runs, lambda run: run["growth_mib"])
        cut_off = all(run["idle_cut_off"] for run in kind_runs)
        others = all(run["everyone_else_got_everything"] for run in kind_runs)
        verdict = ""
        if kind == "ours":
            met = growth <= GROWTH_TARGET_MIB and cut_off and others
            verdict = f"≤ {GROWTH_TARGET_MIB:g} MiB, cut off, others served: " + (
                "✔" if met else "✘"
            )
        rows.append(
            [
                kind,
                f"+{growth:.1f}",
                "yes" if cut_off else "no",
                "yes" if others else "NO",
                number(min(run["posts_per_second"] for run in kind_runs)),
                verdict,
            ]
        )
    headers = [
        "server",
        "peak memory MiB",
        "idle member cut off",
        "poster and readers got every post",
        "posts/s",
        "target",
    ]
    return table(headers, rows)


def report(plan: Plan, log: Log) -> tuple[list[str], Result]:
    """Both measurements: the lines to print and the raw figures."""
    flood = measure_flood(plan, log)
    slow = measure_slow_reader(plan, log)
    lines = [
        f"Flood: one client pipelines ECHO_TIMES_3 and reads every reply; another times "
        f"{plan.flood_echoes:,} sequential echoes (worst of {plan.rounds} round(s))",
        flood_table(flood, plan),
        f"For reference, measured for the issue: {REFERENCE['flood']}",
        "",
        f"Slow reader: {plan.slow_posts:,} posts of {plan.post_size:,} bytes to a group with "
        f"2 readers and one member who never reads (worst of {plan.rounds} round(s))",
        slow_reader_table(slow, plan),
        f"For reference, measured for the issue with 100,000 posts: {REFERENCE['slow']}",
        "",
    ]
    return lines, {"flood": flood, "slow_reader": slow}
