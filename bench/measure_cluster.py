"""The cluster figures (not targets): fan-out to members alternating between two nodes of
one Redis, the poster on the first, beside the same fan-out on one node, back to back in
every round. Every server process (nodes and Redis, or the one node) is pinned to the
server core, so the difference is the work the broker adds, not a second core.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable

from acceptance import testbed
from acceptance.testbed import REDIS_SERVER
from bench.figure import Figure, add_round
from bench.plan import Plan
from bench.processes import SERVER_CPU, pinned, run_on_load_core, turns
from bench.results import Fanout

Log = Callable[[str], None]
SETUPS = ("one node", "cluster")
"""The order of the setups in even rounds (:func:`bench.processes.turns`)."""
NODES = 2
"""Nodes the members are spread over."""
NOT_INSTALLED = f"{REDIS_SERVER} not installed"
"""What the cluster's cells say when it could not be measured."""


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
