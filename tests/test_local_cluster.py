"""The test cluster launcher: redis-server and nodes start, fail in one line, and stop."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import pytest

from acceptance.local_cluster import (
    ClusterStartFailed,
    LocalCluster,
    RedisServer,
    RedisUnavailable,
    start_nodes,
    start_redis,
)
from tests import cluster_checks as checks


def test_a_missing_redis_server_is_one_line_saying_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RedisUnavailable) as failure:
        RedisServer().start()
    message = str(failure.value)
    assert message == (
        "redis-server is not on PATH: install Debian's redis-server package "
        "(apt-get install redis-server)"
    )


def test_a_taken_port_is_named_in_one_line() -> None:
    checks.need_redis_server()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(RedisUnavailable, match=f"did not start on port {port}: .*in use"):
            RedisServer(port).start()


def test_redis_starts_on_a_free_port_and_restarts_empty_on_the_same_one() -> None:
    checks.need_redis_server()
    redis = start_redis()
    try:
        port = redis.port
        assert redis.url == f"redis://127.0.0.1:{port}/0"
        first = redis.pid
        redis.restart()
        assert redis.port == port and redis.pid != first
    finally:
        assert redis.stop() == 0


def test_a_node_that_does_not_start_stops_the_others_and_says_why() -> None:
    checks.need_redis_server()
    with RedisServer() as redis, pytest.raises(ClusterStartFailed) as failure:
        # broken_cluster without --fault exits at once with a usage error
        start_nodes(2, redis.url, module="tests.servers.broken_cluster")
    assert "a cluster node did not start:" in str(failure.value)
    assert "\n" not in str(failure.value)


def test_a_cluster_stops_every_process_it_started() -> None:
    checks.need_redis_server()
    with LocalCluster(nodes=2, node_timeout=1) as cluster:
        assert len(set(cluster.urls)) == 2 and all(u.startswith("ws://") for u in cluster.urls)
        assert cluster.kill_node(0) == -signal.SIGKILL
        codes = cluster.stop()
    assert codes == [-signal.SIGKILL, 0]
    assert cluster.redis.stop() == 0
