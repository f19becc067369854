"""Hostile clients (:mod:`bench.loadgen`), our server against the ceiling: a flood of
ECHO_TIMES_3 or pings beside an observer timing echoes (who stops after
``Plan.flood_within`` seconds, so a server that makes it wait is measured on fewer echoes),
a group member who never reads, a client who pings and never reads a pong (ours with a 2 s
keepalive), and what permessage-deflate costs when every client offers it. The targets,
and the figures measured for the issue that asked for each, are in :mod:`bench.report`.
"""

from __future__ import annotations

import select
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from bench.figure import Figure, add_round
from bench.plan import Log, Plan
from bench.processes import (
    LOAD_CPU,
    ROOT,
    RUN_TIMEOUT,
    SERVER_KINDS,
    CoreBusy,
    ServerKind,
    against,
    load,
    load_argv,
    load_fresh,
    pinned,
    server,
    turns,
)
from bench.results import (
    READY,
    CompressionCost,
    Echoes,
    Flood,
    PingHoarder,
    SlowReader,
    read_result,
)
from wsharness import ServerProcess

FLOODS = ("ECHO_TIMES_3", "pings")
HOARDER_KEEPALIVE = ("--ping-interval", "2", "--ping-timeout", "2")
STARTED_TIMEOUT = 30.0
"""Seconds the flooder may take to get its first replies."""
COMPRESSION_SERVERS: tuple[tuple[str, ServerKind, tuple[str, ...]], ...] = (
    ("ours, --compression off", "ours", ("--compression", "off")),
    ("ours, --compression deflate", "ours", ("--compression", "deflate")),
    ("ceiling (deflate by default)", "ceiling", ()),
)


@contextmanager
def flooding(
    process: ServerProcess, kind: ServerKind, *, pin: bool = False, pings: bool = False
) -> Iterator[subprocess.Popen[str]]:
    """A flooder against ``process``, already receiving replies, for the ``with`` block
    (``pin``: on the load core); killed at the end unless :func:`stop_flood` stopped it."""
    assert process.url is not None
    scenario = "loadgen ping-flood" if pings else "loadgen flood"
    argv = load_argv(scenario, process.url, **against(process, kind))
    with subprocess.Popen(
        pinned(LOAD_CPU, argv) if pin else argv,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as flooder:
        assert flooder.stdout is not None
        try:
            ready, _, _ = select.select([flooder.stdout], [], [], STARTED_TIMEOUT)
            if not ready or flooder.stdout.readline().strip() != READY:
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


def measure_flood(plan: Plan, log: Log) -> list[Figure]:
    """Observer alone and under each kind of flood, ours and the ceiling, alternating,
    per round; the sides are the flood and the server, say ``pings ours``."""
    figures = [
        Figure("echo alone p50", "ms"),
        Figure("echo alone p99", "ms"),
        Figure("under flood p50", "ms"),
        Figure("under flood p99", "ms"),
        Figure("echoes timed", higher_is_better=True),
        Figure("flood frames/s", higher_is_better=True),
        Figure("flooder got every reply", higher_is_better=True),
        Figure("server core busy"),
    ]
    observe = {"count": plan.flood_echoes, "within": plan.flood_within}
    floods = [(flood, kind) for flood in FLOODS for kind in SERVER_KINDS]
    for round_label, (flood_kind, kind) in turns(plan.hostile_rounds, floods):
        log(f"flood ({flood_kind}) round {round_label}: {kind}")
        with server(kind, "auto") as process:
            assert process.pid is not None
            alone = load(Echoes, "loadgen latency", process, kind, **observe)
            pings = flood_kind == "pings"
            with flooding(process, kind, pin=True, pings=pings) as flooder:
                core = CoreBusy(process.pid)
                flooded = load(Echoes, "loadgen latency", process, kind, **observe)
                busy = core.share()
                flood = stop_flood(flooder)
        log(
            f"  p99 alone {alone.p99_ms:.2f} ms, under the flood "
            f"{flooded.p99_ms:.2f} ms ({flooded.round_trips} echoes)"
        )
        add_round(
            figures,
            f"{flood_kind} {kind}",
            alone.p50_ms,
            alone.p99_ms,
            flooded.p50_ms,
            flooded.p99_ms,
            flooded.round_trips,
            flood.requests_per_second,
            flood.replies >= flood.owed,
            busy,
        )
    return figures


def measure_slow_reader(plan: Plan, log: Log) -> list[Figure]:
    """Posts to a group with a member who never reads, ours and the ceiling, per round."""
    figures = [
        Figure("peak memory", "MiB"),
        Figure("idle member cut off", higher_is_better=True),
        Figure("poster and readers got every post", higher_is_better=True),
        Figure("posts/s", higher_is_better=True),
    ]
    for round_label, kind in turns(plan.hostile_rounds, SERVER_KINDS):
        log(f"slow reader round {round_label}: {kind}")
        result = load_fresh(
            SlowReader, "loadgen slow-reader", kind, posts=plan.slow_posts, size=plan.post_size
        )
        log(f"  memory +{result.growth_mib:.1f} MiB, cut off: {result.idle_cut_off}")
        add_round(
            figures,
            kind,
            result.growth_mib,
            result.idle_cut_off,
            result.others_got_everything,
            result.posts_per_second,
        )
    return figures


def measure_ping_hoarder(plan: Plan, log: Log) -> list[Figure]:
    """A client pinging without reading, ours (2 s keepalive) and the ceiling, per round."""
    growth, dropped, after, pings = figures = [
        Figure("peak memory", "MiB"),
        Figure("dropped", higher_is_better=True),
        Figure("dropped after", "s"),
        Figure("pings sent", higher_is_better=True),
    ]
    for round_label, kind in turns(plan.hostile_rounds, SERVER_KINDS):
        log(f"ping hoarder round {round_label}: {kind}")
        options = HOARDER_KEEPALIVE if kind == "ours" else ()
        result = load_fresh(
            PingHoarder, "loadgen ping-hoarder", kind, *options, within=plan.hoard_within
        )
        log(f"  memory +{result.growth_mib:.1f} MiB, dropped: {result.dropped}")
        growth.add(kind, result.growth_mib)
        dropped.add(kind, result.dropped)
        if result.dropped_after is not None:
            after.add(kind, result.dropped_after)
        pings.add(kind, result.pings)
    return figures


def measure_compression(plan: Plan, log: Log) -> list[Figure]:
    """Ours with compression off and on, and the ceiling (the sides); every client
    offers it."""
    figures = [
        Figure("agreed to compress"),
        Figure("KiB per idle connection"),
        Figure("CPU µs per echo"),
    ]
    for label, kind, options in COMPRESSION_SERVERS:
        log(f"compression: {label}")
        cost = load_fresh(
            CompressionCost,
            "loadgen compression",
            kind,
            *options,
            idle=plan.compression_idle,
            count=plan.compression_echoes,
        )
        add_round(figures, label, cost.compressed, cost.idle_kib, cost.cpu_us_per_echo)
    return figures
