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

from bench.figure import Figure
from bench.hostile import FLOODS
from bench.measure_cluster import NODES, NOT_INSTALLED
from bench.measure_contract import FIRST, OFF, ON, REPEAT
from bench.measure_suite import FAILING_TIMEOUTS
from bench.plan import Plan
from wsharness.runtime.loops import uvloop_installed

ECHO_TARGET = 1.0
"""Echo with every defence on: at least the plain library's rate."""
FANOUT_TARGET = 0.9
"""Fan-out, which the library's broadcast does in one call: at least 0.9 of its rate."""
TARGETS = {
    "echo throughput": ECHO_TARGET,
    "echo server CPU per message": 1 / ECHO_TARGET,
    "fan-out deliveries": FANOUT_TARGET,
    "fan-out server CPU per delivery": 1 / FANOUT_TARGET,
    "wait_for_message round trip": 1.5,
}
"""The ratio to the other side a figure must reach: at least this for a figure where
higher is better (a rate), at most this otherwise (a cost). A wait with many messages
held costs at most 1.5 times one with few held."""
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
    "(0.3 ms alone); Node.js ws: p99 1.2 ms under the same flood",
    "slow": "before the outgoing queue limit: +107 MiB, the idle member stayed connected; "
    "Node.js ws: +181 MiB",
    "pings": "before pings took their turn: others' echo p50/p99 5.1/12.8 ms under a ping flood",
    "hoard": "before pongs held a client back: +978 MiB in 30 s, still connected",
}
"""Figures measured on this machine's kind of VM for the issue that asked for each, with
the same loads."""
HOSTILE_SERVERS = ("ours", "ceiling")
CONTRACT_FRAME_TARGET_US = {FIRST: 50.0, REPEAT: 1.0}
"""The contract check of one frame costs at most this: at 50 µs, the thousand-odd frames
of the default suite cost some 50 ms, a few percent of its wall time."""
CONTRACT_FRAME_BASELINE_US = {
    "contract check of a MESSAGE_GROUP request": 33.0,
    "contract check of GROUP_CREATED: <name>": 7.0,
    "contract check of a post (any text)": 10.0,
}
"""First sight, measured by hand when the check was built (docs/contract.md); a repeat
was 0.1 µs."""
CONTRACT_REPEAT_BASELINE_US = 0.1
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


def at_least(value: float, target: float) -> str:
    return f"≥ {target:g}× " + ("✔" if value >= target else "✘")


def at_most(value: float, target: float) -> str:
    return f"≤ {target:.3g}× " + ("✔" if value <= target else "✘")


def verdict(figure: Figure, ratio: float) -> str:
    """``ratio`` against the figure's target; empty when it has none."""
    target = TARGETS.get(figure.name)
    if target is None:
        return ""
    return (at_least if figure.higher_is_better else at_most)(ratio, target)


def met(ok: bool) -> str:
    return "✔" if ok else "✘"


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
            ratio = figure.ratio("ours", "ceiling")
            ours, ceiling = number(figure.median("ours")), number(figure.median("ceiling"))
            rows.append(
                [figure.label, loop, ours, ceiling, f"{ratio:.2f}×", verdict(figure, ratio)]
            )
    return table(["server figure", "loop", "ours", "ceiling", "ours ÷ ceiling", "target"], rows)


def server_lines(plan: Plan, by_loop: dict[str, list[Figure]]) -> list[str]:
    heading = f"Server: median of {plan.rounds} round(s), each against the ceiling back to back"
    return [heading, server_table(by_loop), ""]


def round_trip_table(by_loop: dict[str, Figure]) -> str:
    rows = []
    for loop, figure in by_loop.items():
        for client in ("sync", "asyncio"):
            cost = figure.ratio(client, "testwebsocket")
            rows.append(
                [
                    loop,
                    number(figure.median("testwebsocket")),
                    f"websockets {client} client",
                    number(figure.median(client)),
                    f"{cost:.2f}×",
                    at_most(cost, ROUND_TRIP_COST_TARGET),
                ]
            )
    headers = ["harness loop", "TestWebSocket rt/s", "raw client", "raw rt/s"]
    return table([*headers, "cost ratio", "target"], rows)


def held_wait_table(plan: Plan, held: Figure) -> str:
    few, many = (str(count) for count in plan.held_messages)
    growth = held.ratio(many, few)
    rows = [
        [f"{int(few):,}", number(held.median(few)), "1.00×", ""],
        [f"{int(many):,}", number(held.median(many)), f"{growth:.2f}×", verdict(held, growth)],
    ]
    return table(["messages held", "µs per round trip", f"vs {int(few):,} held", "target"], rows)


def harness_targets_table(plan: Plan, loop: str, round_trips: Figure, held: Figure) -> str:
    cost = round_trips.ratio("sync", "testwebsocket")
    few, many = (str(count) for count in plan.held_messages)
    growth = held.ratio(many, few)
    rows = [
        [
            f"TestWebSocket round trip ÷ websockets sync client ({loop})",
            f"{cost:.2f}×",
            at_most(cost, ROUND_TRIP_COST_TARGET),
        ],
        [
            f"wait_for_message round trip, {int(many):,} held ÷ {int(few):,} held ({loop})",
            f"{growth:.2f}×",
            verdict(held, growth),
        ],
    ]
    return table(["harness target", "measured", "target"], rows)


def crowd_table(crowds: Sequence[Figure]) -> str:
    *timed, memory, threads = crowds
    rows = [
        [
            f"{int(side):,}",
            *(number(figure.median(side)) for figure in timed),
            f"{memory.median(side):.0f}",
            f"{threads.worst(side):.0f}",
        ]
        for side in memory.rounds
    ]
    headers = ["N clients", "open s", "join s", "all hear s", "total s", "memory MiB", "threads"]
    return table(headers, rows)


def harness_lines(
    plan: Plan, round_trips: dict[str, Figure], held: Figure, crowds: Sequence[Figure]
) -> list[str]:
    loop = next(iter(round_trips))
    return [
        "Harness targets",
        harness_targets_table(plan, loop, round_trips[loop], held),
        "",
        "Harness: sequential echo round trips from one blocking caller, TestWebSocket's "
        "awaited with wait_for_message (cost ratio = raw rt/s ÷ TestWebSocket rt/s)",
        round_trip_table(round_trips),
        "",
        f"Harness: the same round trips ({plan.held_round_trips:,} per run, {loop} "
        f"loop, median of {plan.rounds} round(s)) after the client received and kept N "
        "messages",
        held_wait_table(plan, held),
        "",
        "Harness: open N clients, put them in one group, post once, every one hears it",
        crowd_table(crowds),
        "",
    ]


def growth_table(plan: Plan, growth: Figure, crowds: Sequence[Figure]) -> str:
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
    return table(headers, rows)


def growth_lines(plan: Plan, growth: Figure, crowds: Sequence[Figure]) -> list[str]:
    heading = "Growth with N (a per-unit cost near 1.00 means linear)"
    return [heading, growth_table(plan, growth, crowds), ""]


def flood_table(plan: Plan, figures: Sequence[Figure]) -> str:
    """Worst round of each server under each flood: the target must hold in every round."""
    alone_p50, alone_p99, p50, p99, timed, rate, every, busy = figures
    rows = []
    for side, flood, kind in [(f"{f} {k}", f, k) for f in FLOODS for k in HOSTILE_SERVERS]:
        owed = every.worst(side) == 1
        target = ""
        if kind == "ours":
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
                "yes" if owed else "NO",
                f"{busy.worst(side):.0%}",
                target,
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
        target = ""
        if kind == "ours":
            ok = growth.worst(kind) <= GROWTH_TARGET_MIB and cut_off.worst(kind) == 1
            ok = ok and served.worst(kind) == 1
            target = f"≤ {GROWTH_TARGET_MIB:g} MiB, cut off, others served: {met(ok)}"
        rows.append(
            [
                kind,
                f"+{growth.worst(kind):.1f}",
                "yes" if cut_off.worst(kind) == 1 else "no",
                "yes" if served.worst(kind) == 1 else "NO",
                number(rate.worst(kind)),
                target,
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
        target = ""
        if kind == "ours":
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
                target,
            ]
        )
    return table(["server", "peak memory MiB", "dropped", "pings sent", "target"], rows)


def compression_table(figures: Sequence[Figure]) -> str:
    compressed, idle, cpu = figures
    rows = [
        [
            label,
            "yes" if compressed.median(label) == 1 else "no",
            f"{idle.median(label):.1f}",
            f"{cpu.median(label):.0f}",
        ]
        for label in compressed.rounds
    ]
    return table(["server", compressed.name, idle.name, cpu.name], rows)


def hostile_lines(
    plan: Plan,
    flood: Sequence[Figure],
    slow: Sequence[Figure],
    hoard: Sequence[Figure],
    compression: Sequence[Figure],
) -> list[str]:
    rounds = plan.hostile_rounds
    return [
        f"Flood: one client pipelines ECHO_TIMES_3 (or 125-byte pings) and reads every reply; "
        f"another times {plan.flood_echoes:,} sequential echoes (worst of {rounds} round(s))",
        flood_table(plan, flood),
        f"For reference, measured for the issue: {REFERENCE['flood']}; {REFERENCE['pings']}",
        "",
        f"Slow reader: {plan.slow_posts:,} posts of {plan.post_size:,} bytes to a group with "
        f"2 readers and one member who never reads (worst of {rounds} round(s))",
        slow_reader_table(slow),
        f"For reference, measured for the issue with 100,000 posts: {REFERENCE['slow']}",
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
        compression_table(compression),
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


def failing_suite_table(plan: Plan, failing: Figure) -> str:
    """How long a red run takes at a short and a long timeout, beside the target."""
    short, long = (f"timeout={timeout:g}" for timeout in FAILING_TIMEOUTS)
    rows = [
        [f"wall time at -D {side}", f"{number(failing.median(side))} s", ""]
        for side in (short, long)
    ]
    ratio = failing.median(long) / failing.median(short)
    rows.append(
        [
            f"{long} ÷ {short} (before proven waits: 6.6×)",
            f"{ratio:.2f}×",
            at_most(ratio, FAILING_RATIO_TARGET),
        ]
    )
    failed = len(failing.rounds.get("failed", [])) // (plan.suite_runs * len(FAILING_TIMEOUTS))
    scenario_ms = [
        number(median(failing.rounds.get(status) or [0.0]) * 1000)
        for status in ("failed", "passed")
    ]
    rows.append(
        [
            f"median failed scenario ÷ passed ({failed} failed per run)",
            f"{scenario_ms[0]} ms ÷ {scenario_ms[1]} ms",
            "about one round trip more",
        ]
    )
    return table([f"red run (median of {plan.suite_runs})", "measured", "target"], rows)


def suite_lines(plan: Plan, suite: Figure, failing: Figure) -> list[str]:
    scenarios = len(suite.rounds["scenario"]) // max(plan.suite_runs, 1)
    return [
        f"Suite: default behave features/ (median of {plan.suite_runs} run(s)): "
        f"{number(suite.median('wall'))} s wall, {scenarios} scenarios, median "
        f"{number(suite.median('scenario') * 1000)} ms per scenario",
        "",
        "Suite, red: the @core features against a server that words one reply wrongly "
        "(tests/servers/broken.py --fault bad-reply-format); a failure costs round trips, "
        "not the timeout",
        failing_suite_table(plan, failing),
        "",
    ]


def contract_lines(plan: Plan, frames: list[Figure], suite: Figure | None) -> list[str]:
    """The check's cost per frame beside its baseline and target, and the suite's time
    with the contract on ÷ off beside its target (not measured with ``--quick``)."""
    rows = []
    for figure in frames:
        for side, baseline in (
            (FIRST, CONTRACT_FRAME_BASELINE_US[figure.name]),
            (REPEAT, CONTRACT_REPEAT_BASELINE_US),
        ):
            cost, target = figure.worst(side), CONTRACT_FRAME_TARGET_US[side]
            rows.append(
                [
                    figure.name.removeprefix("contract check of "),
                    side,
                    number(figure.median(side)),
                    number(cost),
                    f"{baseline:g}",
                    f"≤ {target:g} µs {met(cost <= target)}",
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
    rows = [
        [
            cost.label,
            number(cost.median("with")),
            number(cost.median("without")),
            f"{ratio:.2f}×",
            at_most(ratio, DIAGRAMS_RATIO_TARGET),
        ]
    ]
    return [
        "Diagrams: the default behave features/ with every report (HTML, JSON, JUnit, a "
        "folder of diagrams), with the diagrams and with -D diagrams=off, back to back "
        f"(median of {plan.diagram_runs} run(s) each)",
        table(["diagrams figure", "with", "without (baseline)", "with ÷ without", "target"], rows),
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
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
