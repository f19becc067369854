"""The printed tables: every figure beside its target, in Markdown that reads as plain text.

Speed is judged by reading these tables, never by a timed assertion; a target is shown as
met (✔) or missed (✘) beside the figure it judges.
"""

from __future__ import annotations

import contextlib
import platform
from collections.abc import Sequence
from statistics import median

import psutil
from websockets.version import version as websockets_version

from bench.figure import Figure
from bench.hostile import FLOODS
from bench.measure_contract import FIRST, OFF, ON, REPEAT
from bench.measure_server import NODES, NOT_INSTALLED
from bench.measure_suite import FAILING_TIMEOUTS
from bench.plan import Plan
from wsharness.runtime.loops import uvloop_installed

TARGETS = {
    "echo throughput": 1.0,
    "echo server CPU per message": 1.0,
    "fan-out deliveries": 0.9,
    "fan-out server CPU per delivery": 1 / 0.9,
    "wait_for_message round trip": 1.5,
}
"""The ratio to the other side a figure must reach: at least this for a rate, at most this
for a cost. Echo with every defence on: the plain library's rate; fan-out, which the
library's broadcast does in one call: 0.9 of it; a wait with many messages held: 1.5 times
one with few."""
ROUND_TRIP_COST_TARGET = 1.25
"""A ``TestWebSocket`` round trip costs at most this many times a raw client's."""
FAILING_RATIO_TARGET = 1.5
"""A red run's time at the long timeout ÷ at the short one: at most this."""
DIAGRAMS_RATIO_TARGET = 1.2
"""The default suite with every report: wall time with the diagrams ÷ without, at most this."""
FLOOD_P99_TARGET_MS = 10.0
"""Under a flood, the observer's p99 echo is at most this, and the flooder gets every reply."""
GROWTH_TARGET_MIB = 32.0
"""A member who never reads, or a client who never reads its pongs, grows the server by at
most this, and is cut off."""
REFERENCE = {
    "flood": "before each connection gave the others a turn: p99 480 ms under the flood "
    "(0.3 ms alone); Node.js ws: p99 1.2 ms under the same flood; before pings took their "
    "turn: others' echo p50/p99 5.1/12.8 ms under a ping flood",
    "slow": "with 100,000 posts: before the outgoing queue limit: +107 MiB, the idle member "
    "stayed connected; Node.js ws: +181 MiB",
    "hoard": "before pongs held a client back: +978 MiB in 30 s, still connected",
}
"""Figures measured on this machine's kind of VM for the issue that asked for each, with
the same loads."""
HOSTILE_SERVERS = ("ours", "ceiling")
CONTRACT_FRAME_TARGET_US = {FIRST: 50.0, REPEAT: 1.0}
"""The contract check of one frame costs at most this: at 50 µs, the thousand-odd frames
of the default suite cost some 50 ms, a few percent of its wall time."""
CONTRACT_FRAME_BASELINE_US = {
    "a MESSAGE_GROUP request": {FIRST: 33.0, REPEAT: 0.1},
    "GROUP_CREATED: <name>": {FIRST: 7.0, REPEAT: 0.1},
    "a post (any text)": {FIRST: 10.0, REPEAT: 0.1},
}
"""Measured by hand when the check was built (docs/contract.md)."""
CONTRACT_SUITE_TARGET = 1.1
"""The default suite with the contract on takes at most this many times as long as off."""


def number(value: float) -> str:
    """A figure with as many digits as it deserves."""
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def met(ok: bool) -> str:
    """A target's verdict as a mark."""
    return "✔" if ok else "✘"


def yes(ok: bool, no: str = "no") -> str:
    """A yes-or-no column's cell."""
    return "yes" if ok else no


def at_most(value: float, target: float, unit: str = "×") -> str:
    """The target a figure must stay under, with its verdict."""
    return f"≤ {target:.3g}{unit} {met(value <= target)}"


def verdict(figure: Figure, ratio: float) -> str:
    """``ratio`` against the figure's target; empty when it has none."""
    target = TARGETS.get(figure.name)
    if target is None:
        return ""
    if figure.higher_is_better:
        return f"≥ {target:g}× {met(ratio >= target)}"
    return at_most(ratio, target)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, aligned so that it also reads as plain text."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(headers), rule, *map(line, rows)])


def server_lines(plan: Plan, by_loop: dict[str, list[Figure]]) -> list[str]:
    rows = []
    for loop, figures in by_loop.items():
        for figure in figures:
            ratio = figure.ratio("ours", "ceiling")
            ours, ceiling = number(figure.median("ours")), number(figure.median("ceiling"))
            rows.append(
                [figure.label, loop, ours, ceiling, f"{ratio:.2f}×", verdict(figure, ratio)]
            )
    headers = ["server figure", "loop", "ours", "ceiling", "ours ÷ ceiling", "target"]
    return [
        f"Server: median of {plan.rounds} round(s), each against the ceiling back to back",
        table(headers, rows),
        "",
    ]


def harness_lines(
    plan: Plan, round_trips: dict[str, Figure], held: Figure, crowds: Sequence[Figure]
) -> list[str]:
    loop = next(iter(round_trips))
    cost = round_trips[loop].ratio("sync", "testwebsocket")
    few, many = plan.held_messages
    growth = held.ratio(str(many), str(few))
    targets = [
        [
            f"TestWebSocket round trip ÷ websockets sync client ({loop})",
            f"{cost:.2f}×",
            at_most(cost, ROUND_TRIP_COST_TARGET),
        ],
        [
            f"wait_for_message round trip, {many:,} held ÷ {few:,} held ({loop})",
            f"{growth:.2f}×",
            verdict(held, growth),
        ],
    ]
    by_client = []
    for each_loop, figure in round_trips.items():
        for client in ("sync", "asyncio"):
            ratio = figure.ratio(client, "testwebsocket")
            theirs = [f"websockets {client} client", number(figure.median(client))]
            ours = number(figure.median("testwebsocket"))
            by_client.append(
                [each_loop, ours, *theirs, f"{ratio:.2f}×", at_most(ratio, ROUND_TRIP_COST_TARGET)]
            )
    held_rows = [
        [f"{few:,}", number(held.median(str(few))), "1.00×", ""],
        [f"{many:,}", number(held.median(str(many))), f"{growth:.2f}×", verdict(held, growth)],
    ]
    *timed, memory, threads = crowds
    crowd_rows = [
        [
            f"{int(side):,}",
            *(number(figure.median(side)) for figure in timed),
            f"{memory.median(side):.0f}",
            f"{threads.worst(side):.0f}",
        ]
        for side in memory.rounds
    ]
    return [
        "Harness targets",
        table(["harness target", "measured", "target"], targets),
        "",
        "Harness: sequential echo round trips from one blocking caller, TestWebSocket's "
        "awaited with wait_for_message (cost ratio = raw rt/s ÷ TestWebSocket rt/s)",
        table(
            [
                "harness loop",
                "TestWebSocket rt/s",
                "raw client",
                "raw rt/s",
                "cost ratio",
                "target",
            ],
            by_client,
        ),
        "",
        f"Harness: the same round trips ({plan.held_round_trips:,} per run, {loop} "
        f"loop, median of {plan.rounds} round(s)) after the client received and kept N "
        "messages",
        table(["messages held", "µs per round trip", f"vs {few:,} held", "target"], held_rows),
        "",
        "Harness: open N clients, put them in one group, post once, every one hears it",
        table(
            ["N clients", "open s", "join s", "all hear s", "total s", "memory MiB", "threads"],
            crowd_rows,
        ),
        "",
    ]


def growth_lines(plan: Plan, growth: Figure, crowds: Sequence[Figure]) -> list[str]:
    """Fan-out p50 at each group size (sides ``ours N``, ``ceiling N``) beside the
    harness's crowd of N, each as a cost per member relative to the first N."""
    total = next(figure for figure in crowds if figure.name == "total")
    first = plan.crowd_sizes[0]
    rows = []
    for members in plan.crowd_sizes:
        scale = members / first
        ours, harness = growth.median(f"ours {members}"), total.median(str(members))
        rows.append(
            [
                f"{members:,}",
                number(ours),
                f"{ours / growth.median(f'ours {first}') / scale:.2f}",
                number(growth.median(f"ceiling {members}")),
                number(harness),
                f"{harness / total.median(str(first)) / scale:.2f}",
            ]
        )
    headers = ["N", "fan-out p50 ms (ours)", "per-member cost vs N=first"]
    headers += ["fan-out p50 ms (ceiling)", "harness open+receive s", "per-client cost vs N=first"]
    return ["Growth with N (a per-unit cost near 1.00 means linear)", table(headers, rows), ""]


def flood_table(plan: Plan, figures: Sequence[Figure]) -> str:
    """Worst round of each server under each flood: the target must hold in every round."""
    alone_p50, alone_p99, p50, p99, timed, rate, every, busy = figures
    rows = []
    for flood in FLOODS:
        for kind in HOSTILE_SERVERS:
            side = f"{flood} {kind}"
            owed = every.worst(side) == 1
            ok = p99.worst(side) <= FLOOD_P99_TARGET_MS and owed
            target = f"p99 ≤ {FLOOD_P99_TARGET_MS:g} ms, every reply: {met(ok)}"
            echoes = int(timed.worst(side))
            cut_short = "" if echoes >= plan.flood_echoes else f" in {plan.flood_within:g} s"
            rows.append(
                [
                    flood,
                    kind,
                    f"{number(alone_p50.worst(side))} / {number(alone_p99.worst(side))}",
                    f"{number(p50.worst(side))} / {number(p99.worst(side))}",
                    f"{echoes:,}{cut_short}",
                    number(rate.worst(side)),
                    yes(owed, "NO"),
                    f"{busy.worst(side):.0%}",
                    target if kind == "ours" else "",
                ]
            )
    headers = ["flood of", "server", "echo alone p50 / p99 ms", "under flood p50 / p99 ms"]
    headers += [timed.name, rate.name, every.name, busy.name, "target"]
    return table(headers, rows)


def slow_reader_table(figures: Sequence[Figure]) -> str:
    """Worst round of each server."""
    growth, cut_off, served, rate = figures
    rows = []
    for kind in HOSTILE_SERVERS:
        was_cut_off, all_served = cut_off.worst(kind) == 1, served.worst(kind) == 1
        ok = growth.worst(kind) <= GROWTH_TARGET_MIB and was_cut_off and all_served
        target = f"≤ {GROWTH_TARGET_MIB:g} MiB, cut off, others served: {met(ok)}"
        rows.append(
            [
                kind,
                f"+{growth.worst(kind):.1f}",
                yes(was_cut_off),
                yes(all_served, "NO"),
                number(rate.worst(kind)),
                target if kind == "ours" else "",
            ]
        )
    headers = ["server", "peak memory MiB", cut_off.name, served.name, rate.name, "target"]
    return table(headers, rows)


def ping_hoarder_table(plan: Plan, figures: Sequence[Figure]) -> str:
    """Worst round of each server."""
    growth, dropped, after, pings = figures
    rows = []
    for kind in HOSTILE_SERVERS:
        was_dropped = dropped.worst(kind) == 1
        ok = growth.worst(kind) <= GROWTH_TARGET_MIB and was_dropped
        target = f"≤ {GROWTH_TARGET_MIB:g} MiB, dropped: {met(ok)}"
        rows.append(
            [
                kind,
                f"+{growth.worst(kind):.1f}",
                f"yes, after {after.worst(kind):.1f} s"
                if was_dropped
                else f"no, in {plan.hoard_within:g} s",
                number(pings.worst(kind)),
                target if kind == "ours" else "",
            ]
        )
    return table(["server", "peak memory MiB", "dropped", "pings sent", "target"], rows)


def hostile_lines(
    plan: Plan,
    flood: Sequence[Figure],
    slow: Sequence[Figure],
    hoard: Sequence[Figure],
    compression: Sequence[Figure],
) -> list[str]:
    rounds = plan.hostile_rounds
    compressed, idle, cpu = compression
    compression_rows = [
        [
            label,
            yes(compressed.median(label) == 1),
            f"{idle.median(label):.1f}",
            f"{cpu.median(label):.0f}",
        ]
        for label in compressed.rounds
    ]
    return [
        f"Flood: one client pipelines ECHO_TIMES_3 (or 125-byte pings) and reads every reply; "
        f"another times {plan.flood_echoes:,} sequential echoes (worst of {rounds} round(s))",
        flood_table(plan, flood),
        f"For reference, measured for the issue: {REFERENCE['flood']}",
        "",
        f"Slow reader: {plan.slow_posts:,} posts of {plan.post_size:,} bytes to a group with "
        f"2 readers and one member who never reads (worst of {rounds} round(s))",
        slow_reader_table(slow),
        f"For reference, measured for the issue {REFERENCE['slow']}",
        "",
        f"Ping hoarder: one client pings as fast as the server takes it and never reads a "
        f"pong, for {plan.hoard_within:g} s; ours with --ping-interval 2 --ping-timeout 2, "
        f"the ceiling with the library's keepalive (worst of {rounds} round(s))",
        ping_hoarder_table(plan, hoard),
        f"For reference, measured for the issue: {REFERENCE['hoard']}",
        "",
        f"Compression: every client offers permessage-deflate; {plan.compression_idle} idle "
        f"connections, then {plan.compression_echoes:,} echoes of a compressible 16 KiB text "
        "(figures, not targets: why --compression is off by default)",
        table(["server", compressed.name, idle.name, cpu.name], compression_rows),
        "",
    ]


def cluster_table(figures: Sequence[Figure]) -> str:
    """One node against the cluster, figure by figure; no targets."""
    cluster = f"{NODES} nodes + Redis"
    rows = []
    for figure in figures:
        measured, ratio = NOT_INSTALLED, "-"
        if "cluster" in figure.rounds:
            measured = number(figure.median("cluster"))
            ratio = f"{figure.ratio('cluster', 'one node'):.2f}×"
        rows.append([figure.label, number(figure.median("one node")), measured, ratio])
    return table(["cluster figure", "one node", cluster, f"{cluster} ÷ one node"], rows)


def cluster_lines(plan: Plan, figures: Sequence[Figure]) -> list[str]:
    return [
        f"Cluster: fan-out to {plan.fanout_members:,} members, {plan.fanout_posts:,} posts, "
        f"median of {plan.rounds} round(s): one node, and {NODES} nodes of one Redis with the "
        "members alternating between them, the poster on the first (every server process "
        "pinned to one core; figures, not targets)",
        cluster_table(figures),
        "",
    ]


def suite_lines(plan: Plan, suite: Figure, failing: Figure) -> list[str]:
    """The default suite's time, and a red run's at a short and a long timeout."""
    scenarios = len(suite.rounds["scenario"]) // max(plan.suite_runs, 1)
    short, long = (f"timeout={timeout:g}" for timeout in FAILING_TIMEOUTS)
    ratio = failing.median(long) / failing.median(short)
    failed = len(failing.rounds.get("failed", [])) // (plan.suite_runs * len(FAILING_TIMEOUTS))
    failed_ms, passed_ms = (
        number(median(failing.rounds.get(status) or [0.0]) * 1000)
        for status in ("failed", "passed")
    )
    rows = [
        [f"wall time at -D {side}", f"{number(failing.median(side))} s", ""]
        for side in (short, long)
    ]
    rows += [
        [
            f"{long} ÷ {short} (before proven waits: 6.6×)",
            f"{ratio:.2f}×",
            at_most(ratio, FAILING_RATIO_TARGET),
        ],
        [
            f"median failed scenario ÷ passed ({failed} failed per run)",
            f"{failed_ms} ms ÷ {passed_ms} ms",
            "about one round trip more",
        ],
    ]
    return [
        f"Suite: default behave features/ (median of {plan.suite_runs} run(s)): "
        f"{number(suite.median('wall'))} s wall, {scenarios} scenarios, median "
        f"{number(suite.median('scenario') * 1000)} ms per scenario",
        "",
        "Suite, red: the @core features against a server that words one reply wrongly "
        "(tests/servers/broken.py --fault bad-reply-format); a failure costs round trips, "
        "not the timeout",
        table([f"red run (median of {plan.suite_runs})", "measured", "target"], rows),
        "",
    ]


def contract_lines(plan: Plan, frames: list[Figure], suite: Figure | None) -> list[str]:
    """The check's cost per frame beside its baseline and target, and the suite's time
    with the contract on ÷ off beside its target (not measured with ``--quick``)."""
    rows = []
    for figure in frames:
        frame = figure.name.removeprefix("contract check of ")
        for side, baseline in CONTRACT_FRAME_BASELINE_US[frame].items():
            cost, target = figure.worst(side), CONTRACT_FRAME_TARGET_US[side]
            rows.append(
                [
                    frame,
                    side,
                    number(figure.median(side)),
                    number(cost),
                    f"{baseline:g}",
                    at_most(cost, target, " µs"),
                ]
            )
    headers = ["frame", "seen", "µs median", "µs worst", "µs baseline", "target (worst)"]
    heading = (
        f"Contract: the check of one frame against docs/asyncapi.yaml, {plan.contract_frames} "
        f"checks per round, {plan.rounds} round(s) (baseline: measured by hand, docs/contract.md)"
    )
    if suite is None or not suite.rounds:
        ratio_line = (
            "Suite with the contract on ÷ off: not measured with --quick "
            f"(target ≤ {CONTRACT_SUITE_TARGET:g}×)"
        )
    else:
        ratio = suite.ratio(ON, OFF)
        ratio_line = (
            f"Suite with the contract on ÷ off (default behave features/, median of "
            f"{plan.contract_suite_runs} run(s) each, alternated): {number(suite.median(ON))} s "
            f"÷ {number(suite.median(OFF))} s = {ratio:.2f}× "
            f"({at_most(ratio, CONTRACT_SUITE_TARGET)}; baseline 1.00×, by hand)"
        )
    return [heading, table(headers, rows), "", ratio_line, ""]


def diagram_lines(plan: Plan, cost: Figure) -> list[str]:
    """What drawing every scenario's conversation costs, beside its baseline (the same
    run with ``-D diagrams=off``) and its target; a line saying why when not measured."""
    if not plan.diagram_runs:
        return [
            "Diagrams: not measured with --quick (each run is the whole suite twice); "
            "python -m bench --only diagrams",
            "",
        ]
    ratio = cost.ratio("with", "without")
    with_and_without = [number(cost.median("with")), number(cost.median("without"))]
    row = [cost.label, *with_and_without, f"{ratio:.2f}×", at_most(ratio, DIAGRAMS_RATIO_TARGET)]
    return [
        "Diagrams: the default behave features/ with every report (HTML, JSON, JUnit, a "
        "folder of diagrams), with the diagrams and with -D diagrams=off, back to back "
        f"(median of {plan.diagram_runs} run(s) each)",
        table(["diagrams figure", "with", "without (baseline)", "with ÷ without", "target"], [row]),
        "",
    ]


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
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"
