"""The cluster figures: fan-out through Redis, beside the same fan-out on one node.

Figures, not targets: what a post costs when its group's members are spread
over two nodes of one Redis (:func:`acceptance.testbed.start`), against the
default server (no broker) with the same members. The members alternate
between the nodes and the poster is on the first, so the posting node
publishes each post to Redis, delivers it to its own half, and the other node
delivers it to the other half when Redis passes it on. Every server process
(both nodes and Redis, or the one node) is pinned to the server core, as in
the other server figures, so the difference is the work the broker adds, not
a second core; the load generator runs on the other core. The two setups are
measured back to back in every round, in alternating order.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence

from acceptance import testbed
from acceptance.testbed import REDIS_SERVER
from bench.figure import Figure, add_round
from bench.plan import Plan
from bench.processes import SERVER_CPU, in_turn, pinned, run_on_load_core, server
from bench.results import Fanout

Log = Callable[[str], None]
SETUPS = ("one node", "cluster")
"""The order of the setups in even rounds (:func:`bench.processes.in_turn`)."""
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
    for number in range(plan.rounds):
        for setup in in_turn(number, SETUPS):
            if setup == "cluster" and not installed:
                continue
            log(f"cluster round {number + 1}/{plan.rounds}: fan-out on {setup}")
            fan = _cluster_fanout(plan) if setup == "cluster" else _one_node_fanout(plan)
            assert fan.server_cpu_us is not None
            add_round(
                figures, setup, fan.deliveries_per_second, fan.server_cpu_us, fan.p50_ms, fan.p99_ms
            )
    return figures


def _one_node_fanout(plan: Plan) -> Fanout:
    with server("ours", "auto") as process:
        assert process.url is not None and process.pid is not None
        return _fanout(plan, [process.url], [process.pid])


def _cluster_fanout(plan: Plan) -> Fanout:
    with testbed.start(nodes=NODES, command_prefix=pinned(SERVER_CPU, [])) as cluster:
        assert cluster.redis is not None
        pids = [node.pid for node in cluster.processes] + [cluster.redis.pid]
        return _fanout(plan, cluster.urls, [pid for pid in pids if pid is not None])


def _fanout(plan: Plan, urls: Sequence[str], pids: list[int]) -> Fanout:
    return run_on_load_core(
        Fanout,
        "loadgen fanout",
        *urls,
        protocol="chat",
        members=plan.fanout_members,
        posts=plan.fanout_posts,
        server_pid=pids,
    )
