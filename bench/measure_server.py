"""The server figures, each measured on fresh servers by a load generator
(:mod:`bench.loadgen`) on the other core, back to back in alternating order in every round:
ours against the library's ceiling (the table shows the median of each and of the
per-round ratios); the fan-out's growth with the group; and, figures rather than targets,
a fan-out whose members alternate between two nodes of one Redis (the poster on the first)
beside one node, every server process pinned to the server core, so the difference is the
work the broker adds, not a second core.
"""

from __future__ import annotations

import shutil

from acceptance import testbed
from acceptance.testbed import REDIS_SERVER
from bench.figure import Figure, add_round
from bench.plan import Log, Plan
from bench.processes import (
    SERVER_CPU,
    SERVER_KINDS,
    CoreBusy,
    load,
    load_fresh,
    pinned,
    run_on_load_core,
    server,
    turns,
)
from bench.results import ConnectionsOpened, Echoes, EchoThroughput, Fanout

SETUPS = ("one node", "cluster")
"""The order of the setups in even rounds (:func:`bench.processes.turns`)."""
NODES = 2
"""Nodes the members are spread over."""
NOT_INSTALLED = f"{REDIS_SERVER} not installed"
"""What the cluster's cells say when it could not be measured."""


def measure_server(plan: Plan, loop: str, log: Log) -> list[Figure]:
    """All server figures on one event loop, ``plan.rounds`` rounds."""
    figures = [
        Figure("echo latency p50", "µs"),
        Figure("echo latency p99", "µs"),
        Figure("echo throughput", "msg/s", higher_is_better=True),
        Figure("echo server CPU per message", "µs"),
        Figure("echo server core busy", "%"),
        Figure("fan-out deliveries", "msg/s", higher_is_better=True),
        Figure("fan-out server CPU per delivery", "µs"),
        Figure("fan-out post→last delivery p50", "ms"),
        Figure("fan-out post→last delivery p99", "ms"),
        Figure(f"open {plan.idle_connections:,} connections", "s"),
        Figure("memory per idle connection", "KiB"),
    ]
    for round_label, kind in turns(plan.rounds, SERVER_KINDS):
        log(f"server round {round_label}: {kind} on {loop}")
        latency = load_fresh(
            Echoes, "loadgen latency", kind, loop=loop, count=plan.latency_round_trips
        )
        with server(kind, loop) as process:
            assert process.pid is not None
            core = CoreBusy(process.pid)
            echo = load(
                EchoThroughput,
                "loadgen throughput",
                process,
                kind,
                connections=plan.throughput_connections,
                in_flight=plan.throughput_in_flight,
                duration=plan.throughput_seconds,
            )
            busy = core.share()
        log(f"  throughput {echo.per_second:,.0f}/s, server core busy {busy:.0%}")
        fan = load_fresh(
            Fanout,
            "loadgen fanout",
            kind,
            loop=loop,
            members=plan.fanout_members,
            posts=plan.fanout_posts,
        )
        idle = load_fresh(
            ConnectionsOpened,
            "loadgen connections",
            kind,
            loop=loop,
            count=plan.idle_connections,
        )
        assert echo.server_cpu_us is not None and fan.server_cpu_us is not None
        add_round(
            figures,
            kind,
            latency.p50_ms * 1e3,
            latency.p99_ms * 1e3,
            echo.per_second,
            echo.server_cpu_us,
            100 * busy,
            fan.deliveries_per_second,
            fan.server_cpu_us,
            fan.p50_ms,
            fan.p99_ms,
            idle.opened_s,
            idle.idle_kib,
        )
    return figures


def measure_growth(plan: Plan, log: Log) -> Figure:
    """Fan-out post→last delivery p50 for each group size (the sides are ``ours N`` and
    ``ceiling N``)."""
    growth = Figure("fan-out post→last delivery p50", "ms")
    for members in plan.crowd_sizes:
        for kind in SERVER_KINDS:
            log(f"growth: fan-out to {members:,} members, {kind}")
            fan = load_fresh(
                Fanout, "loadgen fanout", kind, members=members, posts=plan.growth_posts
            )
            growth.add(f"{kind} {fan.members}", fan.p50_ms)
    return growth


def measure_cluster(plan: Plan, log: Log) -> list[Figure]:
    """Fan-out to ``plan.fanout_members`` members on one node and spread over
    :data:`NODES` nodes of one Redis (the sides), ``plan.rounds`` rounds; without
    ``redis-server``, on one node only."""
    figures = [
        Figure("fan-out deliveries", "msg/s"),
        Figure("server CPU per delivery, every server process", "µs"),
        Figure("post→last delivery p50", "ms"),
        Figure("post→last delivery p99", "ms"),
    ]
    installed = shutil.which(REDIS_SERVER) is not None
    for round_label, setup in turns(plan.rounds, SETUPS):
        if setup == "cluster" and not installed:
            continue
        log(f"cluster round {round_label}: fan-out on {setup}")
        nodes = NODES if setup == "cluster" else 0
        with testbed.start(nodes=nodes, command_prefix=pinned(SERVER_CPU, [])) as bed:
            pids = [node.pid for node in bed.processes] + [bed.redis.pid if bed.redis else None]
            fan = run_on_load_core(
                Fanout,
                "loadgen fanout",
                *bed.urls,
                protocol="chat",
                members=plan.fanout_members,
                posts=plan.fanout_posts,
                server_pid=[pid for pid in pids if pid is not None],
            )
        assert fan.server_cpu_us is not None
        add_round(
            figures, setup, fan.deliveries_per_second, fan.server_cpu_us, fan.p50_ms, fan.p99_ms
        )
    return figures
