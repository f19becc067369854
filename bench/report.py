"""The printed tables: every figure beside its target, in Markdown that reads as plain text.

Speed is judged by reading these tables, never by a timed assertion; a target
is shown as met (✔) or missed (✘) beside the figure it judges.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from statistics import median

import psutil
from websockets.version import version as websockets_version

from bench.measure_cluster import ClusterFanout
from bench.measure_harness import HeldWaitCosts, RoundTripCosts
from bench.measure_server import Figure, GrowthRow
from bench.measure_suite import (
    FAILING_RATIO_TARGET,
    FAILING_TIMEOUTS,
    FailingSuiteTimes,
    SuiteTimes,
)
from bench.results import Crowd
from wsharness.runtime.loops import uvloop_installed

RATE_TARGETS = {"echo throughput": 1.0, "fan-out deliveries": 0.9}
"""At least this fraction of the ceiling's rate: echo with every defence on, at least
the plain library's; fan-out, which the library's broadcast does in one call."""
COST_TARGETS = {
    "echo server CPU per message": 1 / RATE_TARGETS["echo throughput"],
    "fan-out server CPU per delivery": 1 / RATE_TARGETS["fan-out deliveries"],
}
"""The same targets as CPU cost: at most 1/target of the ceiling's CPU per message."""
ROUND_TRIP_COST_TARGET = 1.25
"""A ``TestWebSocket`` round trip costs at most this many times a raw client's."""
HELD_WAIT_GROWTH_TARGET = 1.5
"""A wait with many messages held costs at most this many times one with few held."""


def number(value: float) -> str:
    """A figure with as many digits as it deserves."""
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def at_least(value: float, target: float) -> str:
    return f"≥ {target:g}× " + ("✔" if value >= target else "✘")


def at_most(value: float, target: float) -> str:
    return f"≤ {target:.3g}× " + ("✔" if value <= target else "✘")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, aligned so that it also reads as plain text."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    return "\n".join(lines)


def server_table(by_loop: dict[str, list[Figure]]) -> str:
    rows = []
    for loop, figures in by_loop.items():
        for figure in figures:
            rate, cost = RATE_TARGETS.get(figure.name), COST_TARGETS.get(figure.name)
            verdict = ""
            if rate is not None:
                verdict = at_least(figure.ratio(), rate)
            if cost is not None:
                verdict = at_most(figure.ratio(), cost)
            rows.append(
                [
                    f"{figure.name} ({figure.unit})",
                    loop,
                    number(median(figure.ours)),
                    number(median(figure.ceiling)),
                    f"{figure.ratio():.2f}×",
                    verdict,
                ]
            )
    return table(["server figure", "loop", "ours", "ceiling", "ours ÷ ceiling", "target"], rows)


def round_trip_table(costs: Sequence[RoundTripCosts]) -> str:
    rows = []
    for result in costs:
        for client, raw, cost in (
            ("sync", result.sync, result.cost_vs_sync),
            ("asyncio", result.asyncio, result.cost_vs_asyncio),
        ):
            rows.append(
                [
                    result.loop,
                    number(result.testwebsocket),
                    f"websockets {client} client",
                    number(raw),
                    f"{cost:.2f}×",
                    at_most(cost, ROUND_TRIP_COST_TARGET),
                ]
            )
    headers = ["harness loop", "TestWebSocket rt/s", "raw client", "raw rt/s"]
    headers += ["cost ratio", "target"]
    return table(headers, rows)


def held_wait_table(costs: HeldWaitCosts) -> str:
    rows = [
        [f"{costs.few:,}", number(costs.few_us), "1.00×", ""],
        [
            f"{costs.many:,}",
            number(costs.many_us),
            f"{costs.growth:.2f}×",
            at_most(costs.growth, HELD_WAIT_GROWTH_TARGET),
        ],
    ]
    headers = ["messages held", "µs per round trip", f"vs {costs.few:,} held", "target"]
    return table(headers, rows)


def harness_targets_table(round_trips: RoundTripCosts, held: HeldWaitCosts) -> str:
    rows = [
        [
            f"TestWebSocket round trip ÷ websockets sync client ({round_trips.loop})",
            f"{round_trips.cost_vs_sync:.2f}×",
            at_most(round_trips.cost_vs_sync, ROUND_TRIP_COST_TARGET),
        ],
        [
            f"wait_for_message round trip, {held.many:,} held ÷ {held.few:,} held ({held.loop})",
            f"{held.growth:.2f}×",
            at_most(held.growth, HELD_WAIT_GROWTH_TARGET),
        ],
    ]
    return table(["harness target", "measured", "target"], rows)


def crowd_table(crowds: Sequence[Crowd]) -> str:
    rows = [
        [
            f"{row.clients:,}",
            number(row.open_s),
            number(row.join_s),
            number(row.receive_s),
            number(row.total_s),
            f"{row.rss_mib:.0f}",
            str(row.threads),
        ]
        for row in crowds
    ]
    headers = ["N clients", "open s", "join s", "all hear s", "total s", "memory MiB", "threads"]
    return table(headers, rows)


def growth_table(growth: Sequence[GrowthRow], crowds: Sequence[Crowd]) -> str:
    totals = {row.clients: row.total_s for row in crowds}
    base = growth[0]
    rows = []
    for row in growth:
        scale = row.members / base.members
        harness = totals.get(row.members)
        rows.append(
            [
                f"{row.members:,}",
                number(row.ours),
                f"{row.ours / base.ours / scale:.2f}",
                number(row.ceiling),
                number(harness) if harness is not None else "-",
                f"{harness / totals[base.members] / scale:.2f}"
                if harness is not None and base.members in totals
                else "-",
            ]
        )
    headers = [
        "N",
        "fan-out p50 ms (ours)",
        "per-member cost vs N=first",
        "fan-out p50 ms (ceiling)",
        "harness open+receive s",
        "per-client cost vs N=first",
    ]
    return table(headers, rows)


def suite_line(suite: SuiteTimes, runs: int) -> str:
    return (
        f"Suite: default behave features/ (median of {runs} run(s)): "
        f"{number(suite.wall_s)} s wall, {suite.scenarios} scenarios, median "
        f"{number(suite.scenario_ms)} ms per scenario"
    )


def failing_suite_table(failing: FailingSuiteTimes, runs: int) -> str:
    """How long a red run takes at a short and a long timeout, beside the target."""
    short, long = FAILING_TIMEOUTS
    rows = [
        [f"wall time at -D timeout={timeout:g}", f"{number(failing.wall_s[timeout])} s", ""]
        for timeout in FAILING_TIMEOUTS
    ]
    rows.append(
        [
            f"timeout={long:g} ÷ timeout={short:g} (before proven waits: 6.6×)",
            f"{failing.ratio:.2f}×",
            at_most(failing.ratio, FAILING_RATIO_TARGET),
        ]
    )
    rows.append(
        [
            f"median failed scenario ÷ passed ({failing.failed} failed per run)",
            f"{number(failing.failed_scenario_ms)} ms ÷ {number(failing.passed_scenario_ms)} ms",
            "about one round trip more",
        ]
    )
    return table(["red run (median of " + str(runs) + ")", "measured", "target"], rows)


def machine() -> str:
    """The machine and the versions that the figures depend on, in one line."""
    return (
        f"{psutil.cpu_count()} cores ({cpu_model()}), "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}, "
        f"websockets {websockets_version}, uvloop "
        f"{'installed' if uvloop_installed() else 'not installed'}"
    )


def cpu_model() -> str:
    """The processor's model name (Linux names it in /proc/cpuinfo), else its platform name."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def cluster_table(fanout: ClusterFanout) -> str:
    """One node against the cluster, figure by figure; no targets."""
    cluster = f"{fanout.nodes} nodes + Redis"
    rows = []
    for figure in fanout.figures:
        if fanout.missing:
            measured, ratio = fanout.missing, "-"
        else:
            measured, ratio = number(median(figure.cluster)), f"{figure.ratio():.2f}×"
        rows.append(
            [f"{figure.name} ({figure.unit})", number(median(figure.one_node)), measured, ratio]
        )
    return table(["cluster figure", "one node", cluster, f"{cluster} ÷ one node"], rows)
