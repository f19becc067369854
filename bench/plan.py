"""How much ``python -m bench`` measures: every count, duration and number of rounds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Log = Callable[[str], None]
"""How a measurement reports its progress (:func:`bench.run.log`)."""


@dataclass(frozen=True)
class Plan:
    """How much to measure; ``--quick`` (:data:`QUICK`) trades precision for time."""

    rounds: int = 5
    hostile_rounds: int = 3
    """Rounds of the hostile clients, which take longer (``--rounds`` sets both)."""
    latency_round_trips: int = 5000
    throughput_connections: int = 100
    throughput_in_flight: int = 10
    throughput_seconds: float = 5.0
    fanout_members: int = 1000
    fanout_posts: int = 200
    idle_connections: int = 2000
    harness_round_trips: int = 2000
    held_messages: tuple[int, int] = (1000, 16000)
    """The history a client holds before its waits are timed: few, then many."""
    held_round_trips: int = 300
    crowd_sizes: tuple[int, ...] = (100, 1000, 5000)
    growth_posts: int = 50
    suite_runs: int = 3
    diagram_runs: int = 3
    """Default suite runs with the diagrams and without, each; none with ``--quick``,
    since each is two runs of the whole suite."""
    flood_echoes: int = 1000
    flood_within: float = 20.0
    """Seconds the observer of a flood may take: a slow server is measured on fewer echoes."""
    slow_posts: int = 100_000
    post_size: int = 1024
    hoard_within: float = 15.0
    compression_idle: int = 500
    compression_echoes: int = 2000
    contract_frames: int = 2000
    """Checks of each frame against the contract, per round and way (first sight, repeat)."""
    contract_suite_runs: int = 3
    """Runs of the default suite each way, contract on and off; none with ``--quick``."""


QUICK = Plan(
    rounds=1,
    hostile_rounds=1,
    latency_round_trips=1000,
    throughput_seconds=1.0,
    fanout_posts=50,
    harness_round_trips=1000,
    held_round_trips=100,
    crowd_sizes=(100, 1000),
    growth_posts=20,
    suite_runs=1,
    diagram_runs=0,
    flood_within=5.0,
    hoard_within=8.0,
    compression_echoes=300,
    contract_frames=500,
    contract_suite_runs=0,
)
"""One short round of everything: shows that every benchmark runs, not how fast."""
