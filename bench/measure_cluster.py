"""The cluster figures: fan-out through Redis, beside the same fan-out on one node.

Figures, not targets: what a post costs when its group's members are spread
over two nodes of one Redis (:mod:`acceptance.local_cluster`), against the
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
from dataclasses import dataclass, field
from statistics import median
from typing import Literal

from acceptance.local_cluster import REDIS_SERVER, LocalCluster
from bench.plan import Plan
from bench.processes import SERVER_CPU, in_turn, pinned, run_on_load_core, server
from bench.results import Fanout

Log = Callable[[str], None]
Setup = Literal["one node", "cluster"]
SETUPS: tuple[Setup, ...] = ("one node", "cluster")
"""The order of the setups in even rounds (:func:`bench.processes.in_turn`)."""

NODES = 2
"""Nodes the members are spread over."""
NOT_INSTALLED = f"{REDIS_SERVER} not installed"


@dataclass
class Comparison:
    """One figure on one node and on the cluster, per round."""

    name: str
    unit: str
    one_node: list[float] = field(default_factory=list)
    cluster: list[float] = field(default_factory=list)

    def add(self, setup: Setup, value: float) -> None:
        (self.cluster if setup == "cluster" else self.one_node).append(value)

    def ratio(self) -> float:
        """Median over rounds of cluster ÷ one node, each round measured back to back."""
        return median([c / o for c, o in zip(self.cluster, self.one_node, strict=True)])


@dataclass(frozen=True)
class ClusterFanout:
    """The fan-out figures of both setups; ``missing`` says why the cluster was not measured."""

    nodes: int
    members: int
    posts: int
    figures: list[Comparison]
    missing: str | None = None


def measure_cluster(plan: Plan, log: Log) -> ClusterFanout:
    """Fan-out to ``plan.fanout_members`` members on one node and spread over
    :data:`NODES` nodes of one Redis, ``plan.rounds`` rounds."""
    deliveries = Comparison("fan-out deliveries", "msg/s")
    cpu = Comparison("server CPU per delivery, every server process", "µs")
    p50 = Comparison("post→last delivery p50", "ms")
    p99 = Comparison("post→last delivery p99", "ms")
    missing = None if shutil.which(REDIS_SERVER) else NOT_INSTALLED
    for number in range(plan.rounds):
        for setup in in_turn(number, SETUPS):
            if setup == "cluster" and missing:
                continue
            log(f"cluster round {number + 1}/{plan.rounds}: fan-out on {setup}")
            fan = _cluster_fanout(plan) if setup == "cluster" else _one_node_fanout(plan)
            assert fan.server_cpu_us is not None
            for figure, value in (
                (deliveries, fan.deliveries_per_second),
                (cpu, fan.server_cpu_us),
                (p50, fan.p50_ms),
                (p99, fan.p99_ms),
            ):
                figure.add(setup, value)
    return ClusterFanout(
        nodes=NODES,
        members=plan.fanout_members,
        posts=plan.fanout_posts,
        figures=[deliveries, cpu, p50, p99],
        missing=missing,
    )


def _one_node_fanout(plan: Plan) -> Fanout:
    with server("ours", "auto") as process:
        assert process.url is not None and process.pid is not None
        return _fanout(plan, [process.url], [process.pid])


def _cluster_fanout(plan: Plan) -> Fanout:
    with LocalCluster(NODES, command_prefix=pinned(SERVER_CPU, [])) as cluster:
        pids = [node.pid for node in cluster.nodes] + [cluster.redis.pid]
        return _fanout(plan, cluster.urls, [pid for pid in pids if pid is not None])


def _fanout(plan: Plan, urls: Sequence[str], pids: Sequence[int]) -> Fanout:
    argv = ["-m", "bench.loadgen", "fanout", *urls, "--protocol", "chat"]
    argv += ["--members", str(plan.fanout_members), "--posts", str(plan.fanout_posts)]
    for pid in pids:
        argv += ["--server-pid", str(pid)]
    return run_on_load_core(Fanout, argv)
