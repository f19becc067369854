"""The server figures: ours against the library's ceiling, back to back in every round.

Each figure is measured on a fresh server of each kind, in alternating order
from round to round, by a load generator (:mod:`bench.loadgen`) on the other
core; a figure keeps every round's value for both, so the table can show the
median of each and the median of the per-round ratios.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Generic

from bench.plan import Plan
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
    rss_kib,
    run_on_load_core,
    server,
)
from bench.results import ConnectionsOpened, EchoLatency, EchoThroughput, Fanout, R, read_result
from wsharness import ServerProcess

Log = Callable[[str], None]


@dataclass
class Figure:
    """One server figure: ours and the ceiling, per round."""

    name: str
    unit: str
    ours: list[float] = field(default_factory=list)
    ceiling: list[float] = field(default_factory=list)

    def add(self, kind: ServerKind, value: float) -> None:
        (self.ours if kind == "ours" else self.ceiling).append(value)

    def ratio(self) -> float:
        """Median over rounds of ours ÷ ceiling, each round measured back to back."""
        return median([o / c for o, c in zip(self.ours, self.ceiling, strict=True)])


@dataclass(frozen=True)
class GrowthRow:
    """Fan-out post→last delivery p50 (ms) at one group size, for both servers."""

    members: int
    ours: float
    ceiling: float


@dataclass(frozen=True)
class Loaded(Generic[R]):
    """A load generator's result and how busy the server's core was meanwhile."""

    result: R
    server_busy: float
    """The server's CPU seconds per wall-clock second during the run (0 to 1)."""


def loadgen(
    kind: type[R], process: ServerProcess, server_kind: ServerKind, scenario: str, *options: str
) -> Loaded[R]:
    """One load-generator run against ``process``, also timing the server's core."""
    assert process.url is not None and process.pid is not None
    core = CoreBusy(process.pid)
    argv = ["-m", "bench.loadgen", scenario, process.url, "--protocol", protocol_of(server_kind)]
    argv += ["--server-pid", str(process.pid), *options]
    result = run_on_load_core(kind, argv)
    return Loaded(result, core.share())


def idle_connections(process: ServerProcess, count: int) -> tuple[float, float]:
    """Open ``count`` idle connections: seconds it took, server KiB per connection."""
    assert process.url is not None and process.pid is not None
    rss_before = rss_kib(process.pid)
    argv = [sys.executable, "-m", "bench.loadgen", "connections", process.url]
    argv += ["--count", str(count)]
    with subprocess.Popen(
        pinned(LOAD_CPU, argv),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as generator:
        assert generator.stdin is not None and generator.stdout is not None
        try:
            opened = read_result(ConnectionsOpened, generator.stdout.readline())
            rss_after = rss_kib(process.pid)
            generator.stdin.write("close\n")
            generator.stdin.flush()
            generator.wait(RUN_TIMEOUT)
        finally:
            if generator.poll() is None:
                generator.kill()
    return opened.opened_s, (rss_after - rss_before) / count


def measure_server(plan: Plan, loop: str, log: Log) -> list[Figure]:
    """All server figures on one event loop, ``plan.rounds`` rounds."""
    p50 = Figure("echo latency p50", "µs")
    p99 = Figure("echo latency p99", "µs")
    throughput = Figure("echo throughput", "msg/s")
    throughput_cpu = Figure("echo server CPU per message", "µs")
    throughput_busy = Figure("echo server core busy", "%")
    deliveries = Figure("fan-out deliveries", "msg/s")
    delivery_cpu = Figure("fan-out server CPU per delivery", "µs")
    fan_p50 = Figure("fan-out post→last delivery p50", "ms")
    fan_p99 = Figure("fan-out post→last delivery p99", "ms")
    opening = Figure(f"open {plan.idle_connections:,} connections", "s")
    memory = Figure("memory per idle connection", "KiB")
    for number in range(plan.rounds):
        for kind in in_turn(number, SERVER_KINDS):
            log(f"server round {number + 1}/{plan.rounds}: {kind} on {loop}")
            with server(kind, loop) as process:
                latency = loadgen(
                    EchoLatency, process, kind, "latency", "--count", str(plan.latency_round_trips)
                ).result
            p50.add(kind, latency.p50_us)
            p99.add(kind, latency.p99_us)
            with server(kind, loop) as process:
                echo = loadgen(
                    EchoThroughput,
                    process,
                    kind,
                    "throughput",
                    "--connections",
                    str(plan.throughput_connections),
                    "--in-flight",
                    str(plan.throughput_in_flight),
                    "--duration",
                    str(plan.throughput_seconds),
                )
            assert echo.result.server_cpu_us is not None
            throughput.add(kind, echo.result.per_second)
            throughput_cpu.add(kind, echo.result.server_cpu_us)
            throughput_busy.add(kind, 100 * echo.server_busy)
            log(
                f"  throughput {echo.result.per_second:,.0f}/s, server core busy "
                f"{echo.server_busy:.0%}"
            )
            with server(kind, loop) as process:
                fan = loadgen(
                    Fanout,
                    process,
                    kind,
                    "fanout",
                    "--members",
                    str(plan.fanout_members),
                    "--posts",
                    str(plan.fanout_posts),
                ).result
            assert fan.server_cpu_us is not None
            deliveries.add(kind, fan.deliveries_per_second)
            delivery_cpu.add(kind, fan.server_cpu_us)
            fan_p50.add(kind, fan.p50_ms)
            fan_p99.add(kind, fan.p99_ms)
            with server(kind, loop) as process:
                opened_s, kib = idle_connections(process, plan.idle_connections)
            opening.add(kind, opened_s)
            memory.add(kind, kib)
    return [
        p50,
        p99,
        throughput,
        throughput_cpu,
        throughput_busy,
        deliveries,
        delivery_cpu,
        fan_p50,
        fan_p99,
        opening,
        memory,
    ]


def measure_growth(plan: Plan, sizes: Sequence[int], log: Log) -> list[GrowthRow]:
    """Fan-out post→last delivery p50 for each group size, ours and the ceiling."""
    rows = []
    for members in sizes:
        p50: dict[ServerKind, float] = {}
        kinds: tuple[ServerKind, ...] = ("ceiling", "ours")
        for kind in kinds:
            log(f"growth: fan-out to {members:,} members, {kind}")
            with server(kind, "auto") as process:
                fan = loadgen(
                    Fanout,
                    process,
                    kind,
                    "fanout",
                    "--members",
                    str(members),
                    "--posts",
                    str(plan.growth_posts),
                ).result
            p50[kind] = fan.p50_ms
        rows.append(GrowthRow(members=members, ours=p50["ours"], ceiling=p50["ceiling"]))
    return rows
