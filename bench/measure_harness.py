"""The harness figures: what ``TestWebSocket`` and the cast cost a test.

Every run is a :mod:`bench.harness` process on the load core against our server on the
server core, so the harness's two threads share one core, as they would beside a busy
server.
"""

from __future__ import annotations

from bench.figure import Figure, add_round
from bench.plan import Log, Plan
from bench.processes import run_on_load_core, server, turns
from bench.results import Crowd, RoundTrips
from wsharness.runtime.loops import uvloop_installed

CLIENTS = ("testwebsocket", "sync", "asyncio")
"""The harness and the two ``websockets`` clients it is compared with."""


def harness_loops() -> list[str]:
    """The loops the harness is measured on: its default first."""
    return ["uvloop", "asyncio"] if uvloop_installed() else ["asyncio"]


def measure_round_trips(plan: Plan, harness_loop: str, log: Log) -> Figure:
    """Round trips per second of each client (the sides), in rotating order."""
    figure = Figure("round trips", "rt/s", higher_is_better=True)
    rounds = max(plan.rounds * 2, 3)
    with server("ours", "auto") as process:
        for number in range(rounds):
            log(f"harness round trips ({harness_loop} loop) {number + 1}/{rounds}")
            for client in CLIENTS[number % 3 :] + CLIENTS[: number % 3]:
                result = _round_trips(
                    process.url, harness_loop, client=client, count=plan.harness_round_trips
                )
                figure.add(client, result.per_second)
    return figure


def measure_held_waits(plan: Plan, harness_loop: str, log: Log) -> Figure:
    """µs per ``wait_for_message`` round trip with few, then many messages held (the
    sides are the numbers held)."""
    figure = Figure("wait_for_message round trip", "µs")
    with server("ours", "auto") as process:
        for round_label, held in turns(plan.rounds, plan.held_messages):
            log(f"harness waits with {held:,} held ({harness_loop}) {round_label}")
            result = _round_trips(process.url, harness_loop, held=held, count=plan.held_round_trips)
            figure.add(str(result.held), 1e6 / result.per_second)
    return figure


def _round_trips(url: str | None, harness_loop: str, **options: object) -> RoundTrips:
    """``python -m bench.harness roundtrip`` (or ``held``, given ``held``) on the load core."""
    assert url is not None
    scenario = "harness held" if "held" in options else "harness roundtrip"
    return run_on_load_core(
        RoundTrips, scenario, url, env={"WS_EVENT_LOOP": harness_loop}, **options
    )


def measure_crowds(plan: Plan, log: Log) -> list[Figure]:
    """Open N people, group them, post, everyone hears it (the sides are the Ns)."""
    figures = [
        Figure("open", "s"),
        Figure("join", "s"),
        Figure("all hear", "s"),
        Figure("total", "s"),
        Figure("memory", "MiB"),
        Figure("threads"),
    ]
    for clients in plan.crowd_sizes:
        for number in range(plan.rounds):
            log(f"harness crowd of {clients:,}, round {number + 1}/{plan.rounds}")
            with server("ours", "auto") as process:
                assert process.url is not None
                crowd = run_on_load_core(Crowd, "harness crowd", process.url, clients=clients)
            add_round(
                figures,
                str(crowd.clients),
                crowd.open_s,
                crowd.join_s,
                crowd.receive_s,
                crowd.total_s,
                crowd.rss_mib,
                crowd.threads,
            )
    return figures
