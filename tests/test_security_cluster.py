"""A member who stops reading is cut off on a cluster node too: posts from another
node reach it through the node's delivery from Redis, which applies the same limit."""

from __future__ import annotations

from acceptance import testbed
from tests import cluster_checks
from tests.security_support import member_who_stops_reading_is_cut_off

cluster_checks.need_redis_server()


def test_a_member_who_stops_reading_on_another_node_is_cut_off() -> None:
    """Alice posts on node 1; Bob and Mallory are on node 2, where Mallory is cut off."""
    options = ["--max-queued-bytes", "65536", "--max-message-size", "16384"]
    with testbed.start(*options, nodes=2, node_timeout=1) as cluster:
        poster, members = cluster.urls
        member_who_stops_reading_is_cut_off(poster, members, members, None)
        cluster.stop()
        logs = [node.log_lines() for node in cluster.processes]
    cut = [[line for line in log if "cut off" in line] for log in logs]
    assert not cut[0], cut[0]
    assert len(cut[1]) == 1, cut[1]
    assert "too slow: over 64 KiB waiting to be sent (code 1013)" in cut[1][0]
