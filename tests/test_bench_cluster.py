"""The cluster benchmark spreads its members over real nodes and runs without Redis too."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import psutil
import pytest

from acceptance import testbed
from bench import report
from bench.loadgen import Protocol, fanout
from bench.measure_server import NOT_INSTALLED, measure_cluster
from bench.plan import Plan
from tests import cluster_checks as checks

SMALL = Plan(rounds=1, fanout_members=10, fanout_posts=3)


def test_fanout_alternates_members_between_nodes_and_every_post_reaches_all() -> None:
    """Ten members over two nodes: five connections on each, and the fan-out only
    completes if the node without the poster delivers its half of every post."""
    checks.need_redis_server()
    with testbed.start(nodes=2) as cluster:
        result = asyncio.run(fanout(cluster.urls, Protocol("chat"), members=10, posts=3))
    assert (result.members, result.posts) == (10, 3)
    opened = [
        sum("connection opened" in line for line in cluster.processes[index].log_lines())
        for index in (0, 1)
    ]
    assert opened == [5, 5]


@pytest.mark.skipif(
    (os.cpu_count() or 1) < 2 or not shutil.which("taskset"), reason="needs taskset and 2 cores"
)
def test_a_cluster_started_through_a_prefix_runs_every_process_on_that_core() -> None:
    """The benchmark pins Redis and the nodes to the server core with ``taskset``."""
    checks.need_redis_server()
    with testbed.start(nodes=2, command_prefix=["taskset", "-c", "0"]) as cluster:
        assert cluster.redis is not None
        pids = [node.pid for node in cluster.processes] + [cluster.redis.pid]
        assert all(pid is not None for pid in pids)
        assert [psutil.Process(pid).cpu_affinity() for pid in pids] == [[0], [0], [0]]


def test_without_redis_server_the_cluster_cells_say_so_and_one_node_is_measured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    measured = measure_cluster(SMALL, lambda _line: None)
    assert all(list(figure.rounds) == ["one node"] for figure in measured)
    assert all(len(figure.rounds["one node"]) == 1 for figure in measured)
    rows = report.cluster_table(measured).splitlines()[2:]
    assert len(rows) == 4
    assert all(f"| {NOT_INSTALLED} |" in row for row in rows)
