"""Hostile clients, our server against the ceiling: floods, a member who never
reads, a client who pings and never reads, and what compression costs.

**Flood.** An observer times sequential echoes alone, then again while one other
client pipelines ECHO_TIMES_3 requests, or pings, as fast as the server takes them
and reads every reply (:func:`bench.hostile_load.flood`). Target: the observer's p99 under
the flood within :data:`FLOOD_P99_TARGET_MS`, and the flooder gets every reply it
is owed. The observer stops after :attr:`Plan.flood_within` seconds, so a server
that makes it wait hundreds of milliseconds per echo is still measured, on fewer
echoes.

**Slow reader.** A poster sends 1 KiB posts as fast as the server takes them to a
group of readers and one member who never reads
(:func:`bench.hostile_load.slow_reader`). Target: the server's peak memory grows
by at most :data:`GROWTH_TARGET_MIB`, the idle member is cut off, the poster and
the readers get every post.

**Ping hoarder.** One client pings as fast as the server takes it and never reads
a pong (:func:`bench.hostile_load.ping_hoarder`), for :attr:`Plan.hoard_within`
seconds; ours runs with a 2 s keepalive. Target: the server grows by at most
:data:`GROWTH_TARGET_MIB` and drops the client.

**Compression.** Every client offers permessage-deflate: the server's memory per
idle connection and CPU per echo of a compressible 16 KiB text, ours with
``--compression off`` (the default) and ``deflate``, and the ceiling (which agrees
by default). Figures, not targets: they are why compression is off by default.

Each is printed beside the figures measured for the issue that asked for it
(:data:`REFERENCE`): this server before the change, and Node.js ``ws``.
"""

from __future__ import annotations

import select
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

from bench.hostile_load import FLOODING
from bench.processes import (
    LOAD_CPU,
    ROOT,
    RUN_TIMEOUT,
    SERVER_KINDS,
    CoreBusy,
    ServerKind,
    in_turn,
    pinned,
    protocol_of,
    run_on_load_core,
)
from bench.processes import server as start_server
from bench.report import number, table
from bench.results import (
    CompressionCost,
    Flood,
    ObservedEchoes,
    PingHoarder,
    SlowReader,
    read_result,
)
from wsharness import ServerProcess

FLOOD_P99_TARGET_MS = 10.0
GROWTH_TARGET_MIB = 32.0
REFERENCE = {
    "flood": "before each connection gave the others a turn: p99 480 ms under the flood "
    "(0.3 ms alone); Node.js ws: p99 1.2 ms under the same flood",
    "slow": "before the outgoing queue limit: +107 MiB, the idle member stayed connected; "
    "Node.js ws: +181 MiB",
    "pings": "before pings took their turn: others' echo p50/p99 5.1/12.8 ms under a ping flood",
    "hoard": "before pongs held a client back: +978 MiB in 30 s, still connected",
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
    hoard_within: float = 15.0
    compression_idle: int = 500
    compression_echoes: int = 2000


QUICK = Plan(rounds=1, flood_within=5.0, hoard_within=8.0, compression_echoes=300)
FLOODS = ("ECHO_TIMES_3", "pings")
HOARDER_KEEPALIVE = ("--ping-interval", "2", "--ping-timeout", "2")

Log = Callable[[str], None]


@dataclass(frozen=True)
class FloodRound:
    """One round of one kind of flood against one server."""

    flood_kind: str
    alone: ObservedEchoes
    flooded: ObservedEchoes
    """The observer's echoes while the flooder ran."""
    flooder: Flood
    server_busy: float
    """The share of its core the server used while the observer ran under the flood."""

    @property
    def every_reply(self) -> bool:
        """Whether the flooder received every reply it was owed."""
        return self.flooder.replies >= self.flooder.owed


@dataclass(frozen=True)
class Hostile:
    """Every round of both measurements, by server."""

    flood: dict[ServerKind, list[FloodRound]]
    slow_reader: dict[ServerKind, list[SlowReader]]
    ping_hoarder: dict[ServerKind, list[PingHoarder]]
    compression: dict[str, CompressionCost]


def observe(process: ServerProcess, kind: ServerKind, plan: Plan) -> ObservedEchoes:
    """Sequential echoes timed by a load process, stopped after ``plan.flood_within``."""
    assert process.url is not None
    return run_on_load_core(
        ObservedEchoes,
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
        ],
    )


@contextmanager
def flooding(
    process: ServerProcess,
    kind: ServerKind,
    *,
    command_prefix: Sequence[str] = (),
    pings: bool = False,
) -> Iterator[subprocess.Popen[str]]:
    """A flooder running against ``process``, already receiving replies, for the
    ``with`` block; killed at the end unless :func:`stop_flood` stopped it.
    ``command_prefix`` goes before its command (the benchmark pins it to the load core)."""
    assert process.url is not None
    argv = [*command_prefix, sys.executable, "-m", "bench.hostile_load", "flood", process.url]
    argv += ["--protocol", protocol_of(kind), *(["--pings"] if pings else [])]
    with subprocess.Popen(
        argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as flooder:
        assert flooder.stdout is not None
        try:
            ready, _, _ = select.select([flooder.stdout], [], [], STARTED_TIMEOUT)
            if not ready or flooder.stdout.readline().strip() != FLOODING:
                raise RuntimeError(f"the flooder got no reply within {STARTED_TIMEOUT:g} s")
            yield flooder
        finally:
            if flooder.poll() is None:
                flooder.kill()


def stop_flood(flooder: subprocess.Popen[str], *, timeout: float = RUN_TIMEOUT) -> Flood:
    """Tell the flooder to stop; what it sent and received once it has collected its
    replies (within ``timeout`` seconds)."""
    output, _ = flooder.communicate("stop\n", timeout=timeout)
    if flooder.returncode != 0:
        raise RuntimeError(f"the flooder failed with exit status {flooder.returncode}")
    return read_result(Flood, output.strip().splitlines()[-1])


def measure_flood(plan: Plan, log: Log) -> dict[ServerKind, list[FloodRound]]:
    """Observer alone and under each kind of flood, ours and the ceiling,
    alternating, per round."""
    runs: dict[ServerKind, list[FloodRound]] = {"ceiling": [], "ours": []}
    for round_number in range(plan.rounds):
        for flood_kind in FLOODS:
            for kind in in_turn(round_number, SERVER_KINDS):
                log(f"flood ({flood_kind}) round {round_number + 1}/{plan.rounds}: {kind}")
                runs[kind].append(_flood_round(plan, kind, flood_kind))
                run = runs[kind][-1]
                log(
                    f"  p99 alone {run.alone.p99_ms:.2f} ms, under the flood "
                    f"{run.flooded.p99_ms:.2f} ms ({run.flooded.round_trips} echoes)"
                )
    return runs


def _flood_round(plan: Plan, kind: ServerKind, flood_kind: str) -> FloodRound:
    with start_server(kind, "auto") as process:
        assert process.pid is not None
        alone = observe(process, kind, plan)
        with flooding(
            process, kind, command_prefix=pinned(LOAD_CPU, []), pings=flood_kind == "pings"
        ) as flooder:
            core = CoreBusy(process.pid)
            flooded = observe(process, kind, plan)
            busy = core.share()
            flood = stop_flood(flooder)
    return FloodRound(flood_kind, alone, flooded, flood, busy)


def measure_slow_reader(plan: Plan, log: Log) -> dict[ServerKind, list[SlowReader]]:
    """Posts to a group with a member who never reads, ours and the ceiling, per round."""
    runs: dict[ServerKind, list[SlowReader]] = {"ceiling": [], "ours": []}
    for round_number in range(plan.rounds):
        for kind in in_turn(round_number, SERVER_KINDS):
            log(f"slow reader round {round_number + 1}/{plan.rounds}: {kind}")
            with start_server(kind, "auto") as process:
                assert process.url is not None
                result = run_on_load_core(
                    SlowReader,
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
                    ],
                )
            runs[kind].append(result)
            log(f"  memory +{result.growth_mib:.1f} MiB, cut off: {result.idle_cut_off}")
    return runs


def flood_table(runs: dict[ServerKind, list[FloodRound]], plan: Plan) -> str:
    """Worst round of each server under each flood: the target must hold in every round."""
    rows = []
    pairs: list[tuple[str, ServerKind]] = [(f, k) for f in FLOODS for k in ("ours", "ceiling")]
    for flood_kind, kind in pairs:
        kind_runs = [run for run in runs[kind] if run.flood_kind == flood_kind]
        timed = min(run.flooded.round_trips for run in kind_runs)
        p99 = max(run.flooded.p99_ms for run in kind_runs)
        owed = all(run.every_reply for run in kind_runs)
        verdict = ""
        if kind == "ours":
            met = p99 <= FLOOD_P99_TARGET_MS and owed
            verdict = f"p99 ≤ {FLOOD_P99_TARGET_MS:g} ms, every reply: " + ("✔" if met else "✘")
        alone_p50 = max(run.alone.p50_ms for run in kind_runs)
        alone_p99 = max(run.alone.p99_ms for run in kind_runs)
        flooded_p50 = max(run.flooded.p50_ms for run in kind_runs)
        cut_short = "" if timed >= plan.flood_echoes else f" in {plan.flood_within:g} s"
        rows.append(
            [
                flood_kind,
                kind,
                f"{number(alone_p50)} / {number(alone_p99)}",
                f"{number(flooded_p50)} / {number(p99)}",
                f"{timed:,}{cut_short}",
                number(min(run.flooder.requests_per_second for run in kind_runs)),
                "yes" if owed else "NO",
                f"{max(run.server_busy for run in kind_runs):.0%}",
                verdict,
            ]
        )
    headers = [
        "flood of",
        "server",
        "echo alone p50 / p99 ms",
        "under flood p50 / p99 ms",
        "echoes timed",
        "flood frames/s",
        "flooder got every reply",
        "server core busy",
        "target",
    ]
    return table(headers, rows)


def slow_reader_table(runs: dict[ServerKind, list[SlowReader]], plan: Plan) -> str:
    """Worst round of each server."""
    rows = []
    for kind in ("ours", "ceiling"):
        kind_runs = runs[kind]
        growth = max(run.growth_mib for run in kind_runs)
        cut_off = all(run.idle_cut_off for run in kind_runs)
        others = all(run.others_got_everything for run in kind_runs)
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
                number(min(run.posts_per_second for run in kind_runs)),
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


def measure_ping_hoarder(plan: Plan, log: Log) -> dict[ServerKind, list[PingHoarder]]:
    """A client pinging without reading, ours (2 s keepalive) and the ceiling, per round."""
    runs: dict[ServerKind, list[PingHoarder]] = {"ceiling": [], "ours": []}
    for round_number in range(plan.rounds):
        for kind in in_turn(round_number, SERVER_KINDS):
            log(f"ping hoarder round {round_number + 1}/{plan.rounds}: {kind}")
            options = HOARDER_KEEPALIVE if kind == "ours" else ()
            with start_server(kind, "auto", *options) as process:
                assert process.url is not None
                result = run_on_load_core(
                    PingHoarder,
                    [
                        "-m",
                        "bench.hostile_load",
                        "ping-hoarder",
                        process.url,
                        "--server-pid",
                        str(process.pid),
                        "--within",
                        str(plan.hoard_within),
                    ],
                )
            runs[kind].append(result)
            log(f"  memory +{result.growth_mib:.1f} MiB, dropped: {result.dropped}")
    return runs


def measure_compression(plan: Plan, log: Log) -> dict[str, CompressionCost]:
    """Ours with compression off and on, and the ceiling; every client offers it."""
    costs: dict[str, CompressionCost] = {}
    for label, kind, options in (
        ("ours, --compression off", "ours", ("--compression", "off")),
        ("ours, --compression deflate", "ours", ("--compression", "deflate")),
        ("ceiling (deflate by default)", "ceiling", ()),
    ):
        log(f"compression: {label}")
        with start_server(cast(ServerKind, kind), "auto", *options) as process:
            assert process.url is not None
            costs[label] = run_on_load_core(
                CompressionCost,
                [
                    "-m",
                    "bench.hostile_load",
                    "compression",
                    process.url,
                    "--server-pid",
                    str(process.pid),
                    "--idle",
                    str(plan.compression_idle),
                    "--count",
                    str(plan.compression_echoes),
                ],
            )
    return costs


def ping_hoarder_table(runs: dict[ServerKind, list[PingHoarder]], plan: Plan) -> str:
    """Worst round of each server."""
    rows = []
    for kind in ("ours", "ceiling"):
        kind_runs = runs[kind]
        growth = max(run.growth_mib for run in kind_runs)
        dropped = all(run.dropped for run in kind_runs)
        after = [run.dropped_after for run in kind_runs if run.dropped_after is not None]
        verdict = ""
        if kind == "ours":
            met = growth <= GROWTH_TARGET_MIB and dropped
            verdict = f"≤ {GROWTH_TARGET_MIB:g} MiB, dropped: " + ("✔" if met else "✘")
        rows.append(
            [
                kind,
                f"+{growth:.1f}",
                f"yes, after {max(after):.1f} s" if dropped else f"no, in {plan.hoard_within:g} s",
                number(min(run.pings for run in kind_runs)),
                verdict,
            ]
        )
    return table(["server", "peak memory MiB", "dropped", "pings sent", "target"], rows)


def compression_table(costs: dict[str, CompressionCost]) -> str:
    rows = [
        [
            label,
            "yes" if cost.compressed else "no",
            f"{cost.idle_kib:.1f}",
            f"{cost.cpu_us_per_echo:.0f}",
        ]
        for label, cost in costs.items()
    ]
    headers = ["server", "agreed to compress", "KiB per idle connection", "CPU µs per echo"]
    return table(headers, rows)


def report(plan: Plan, log: Log) -> tuple[list[str], Hostile]:
    """Every measurement: the lines to print and every round's figures."""
    flood = measure_flood(plan, log)
    slow = measure_slow_reader(plan, log)
    hoard = measure_ping_hoarder(plan, log)
    compression = measure_compression(plan, log)
    lines = [
        f"Flood: one client pipelines ECHO_TIMES_3 (or 125-byte pings) and reads every reply; "
        f"another times {plan.flood_echoes:,} sequential echoes (worst of {plan.rounds} "
        "round(s))",
        flood_table(flood, plan),
        f"For reference, measured for the issue: {REFERENCE['flood']}; {REFERENCE['pings']}",
        "",
        f"Slow reader: {plan.slow_posts:,} posts of {plan.post_size:,} bytes to a group with "
        f"2 readers and one member who never reads (worst of {plan.rounds} round(s))",
        slow_reader_table(slow, plan),
        f"For reference, measured for the issue with 100,000 posts: {REFERENCE['slow']}",
        "",
        f"Ping hoarder: one client pings as fast as the server takes it and never reads a "
        f"pong, for {plan.hoard_within:g} s; ours with --ping-interval 2 --ping-timeout 2, "
        f"the ceiling with the library's keepalive (worst of {plan.rounds} round(s))",
        ping_hoarder_table(hoard, plan),
        f"For reference, measured for the issue: {REFERENCE['hoard']}",
        "",
        f"Compression: every client offers permessage-deflate; {plan.compression_idle} idle "
        f"connections, then {plan.compression_echoes:,} echoes of a compressible 16 KiB text "
        "(figures, not targets: why --compression is off by default)",
        compression_table(compression),
        "",
    ]
    return lines, Hostile(flood, slow, hoard, compression)
