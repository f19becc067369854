"""The harness figures: what ``TestWebSocket`` and the cast cost a test.

Every run is a :mod:`bench.harness` process on the load core against our
server on the server core, so the harness's two threads share one core, as
they would beside a busy server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from statistics import median

from bench.plan import Plan
from bench.processes import in_turn, run_on_load_core, server
from bench.results import Crowd, HeldWaits, RoundTrips
from wsharness.runtime.loops import uvloop_installed

Log = Callable[[str], None]
CLIENTS = ("testwebsocket", "sync", "asyncio")
"""The harness and the two ``websockets`` clients it is compared with."""


def harness_loops() -> list[str]:
    """The loops the harness is measured on: its default first."""
    return ["uvloop", "asyncio"] if uvloop_installed() else ["asyncio"]


@dataclass(frozen=True)
class RoundTripCosts:
    """Round trips per second of each client (medians), and what the harness costs
    relative to each raw client (median of the per-round ratios)."""

    loop: str
    testwebsocket: float
    sync: float
    asyncio: float
    cost_vs_sync: float
    cost_vs_asyncio: float


@dataclass(frozen=True)
class HeldWaitCosts:
    """µs per awaited round trip with few and with many messages held (medians),
    and how many times the second costs the first (median of the per-round ratios)."""

    loop: str
    few: int
    many: int
    few_us: float
    many_us: float
    growth: float


def measure_round_trips(plan: Plan, harness_loop: str, log: Log) -> RoundTripCosts:
    """Round trips per second: TestWebSocket, the blocking and the asyncio client."""
    per_second: dict[str, list[float]] = {client: [] for client in CLIENTS}
    with server("ours", "auto") as process:
        assert process.url is not None
        rounds = max(plan.rounds * 2, 3)
        for number in range(rounds):
            log(f"harness round trips ({harness_loop} loop) {number + 1}/{rounds}")
            for client in CLIENTS[number % 3 :] + CLIENTS[: number % 3]:
                result = run_on_load_core(
                    RoundTrips,
                    [
                        *("-m", "bench.harness", "roundtrip", process.url),
                        *("--client", client, "--count", str(plan.harness_round_trips)),
                    ],
                    env={"WS_EVENT_LOOP": harness_loop},
                )
                per_second[client].append(result.per_second)
    tws = per_second["testwebsocket"]
    return RoundTripCosts(
        loop=harness_loop,
        testwebsocket=median(tws),
        sync=median(per_second["sync"]),
        asyncio=median(per_second["asyncio"]),
        cost_vs_sync=median([s / t for s, t in zip(per_second["sync"], tws, strict=True)]),
        cost_vs_asyncio=median([a / t for a, t in zip(per_second["asyncio"], tws, strict=True)]),
    )


def measure_held_waits(plan: Plan, harness_loop: str, log: Log) -> HeldWaitCosts:
    """µs per ``wait_for_message`` round trip with few, then many messages held."""
    few, many = plan.held_messages
    costs: dict[int, list[float]] = {few: [], many: []}
    with server("ours", "auto") as process:
        assert process.url is not None
        for number in range(plan.rounds):
            for held in in_turn(number, (few, many)):
                log(f"harness waits with {held:,} held ({harness_loop}) {number + 1}/{plan.rounds}")
                result = run_on_load_core(
                    HeldWaits,
                    [
                        *("-m", "bench.harness", "held", process.url),
                        *("--held", str(held), "--count", str(plan.held_round_trips)),
                    ],
                    env={"WS_EVENT_LOOP": harness_loop},
                )
                costs[held].append(result.us_per_round_trip)
    return HeldWaitCosts(
        loop=harness_loop,
        few=few,
        many=many,
        few_us=median(costs[few]),
        many_us=median(costs[many]),
        growth=median([m / f for m, f in zip(costs[many], costs[few], strict=True)]),
    )


def measure_crowds(plan: Plan, log: Log) -> list[Crowd]:
    """Open N people, group them, post, everyone hears it: median of the rounds."""
    rows = []
    for clients in plan.crowd_sizes:
        runs = []
        for number in range(plan.rounds):
            log(f"harness crowd of {clients:,}, round {number + 1}/{plan.rounds}")
            with server("ours", "auto") as process:
                assert process.url is not None
                runs.append(
                    run_on_load_core(
                        Crowd,
                        ["-m", "bench.harness", "crowd", process.url, "--clients", str(clients)],
                    )
                )
        rows.append(
            Crowd(
                clients=clients,
                open_s=median(run.open_s for run in runs),
                join_s=median(run.join_s for run in runs),
                receive_s=median(run.receive_s for run in runs),
                total_s=median(run.total_s for run in runs),
                close_s=median(run.close_s for run in runs),
                rss_mib=median(run.rss_mib for run in runs),
                threads=max(run.threads for run in runs),
            )
        )
    return rows
