"""Real nodes on a real redis-server: every rule of the protocol across nodes.

The checks themselves are in :mod:`tests.cluster_checks`, so that
``tests/test_cluster_can_fail.py`` can run them against broken nodes too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from acceptance import chat, testbed
from acceptance.chat import ChatCast
from acceptance.testbed import Bed, RedisServer, free_port
from server.cluster.node import detection_bound
from tests import cluster_checks as checks
from tests.cluster_checks import health, people

checks.need_redis_server()

NODE_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def cluster() -> Iterator[Bed]:
    """Three nodes that the tests here share and never break."""
    with testbed.start(nodes=3, node_timeout=NODE_TIMEOUT) as running:
        yield running


@pytest.fixture
def own_cluster() -> Iterator[Bed]:
    """Two nodes for one test, which may kill a node or restart Redis."""
    with testbed.start(nodes=2, node_timeout=NODE_TIMEOUT) as running:
        yield running


def test_posts_reach_every_member_on_every_node_once_and_in_order(cluster: Bed) -> None:
    checks.posts_reach_every_member_once_and_in_order(cluster)


def test_two_nodes_creating_one_name_at_once_give_exactly_one_creator(
    cluster: Bed,
) -> None:
    checks.one_creator_per_race(cluster, rounds=100)


def test_a_joiner_on_another_node_hears_the_very_next_post(cluster: Bed) -> None:
    checks.joiner_hears_the_next_post(cluster)


def test_two_spellings_of_one_name_are_one_group_on_every_node(cluster: Bed) -> None:
    checks.two_spellings_are_one_group_on_every_node(cluster)


def test_an_echo_round_trip_proves_posts_from_other_nodes_have_arrived(
    cluster: Bed,
) -> None:
    checks.echo_proves_posts_from_other_nodes_arrived(cluster)


def test_joining_leaving_and_disconnecting_on_any_node_count_everywhere(
    cluster: Bed,
) -> None:
    checks.membership_changes_on_any_node_count_everywhere(cluster)


def test_errors_read_as_on_one_node(cluster: Bed) -> None:
    """Refusals that need no broker are the single server's, word for word."""
    with people(cluster, ("Alice", 0), ("Mallory", 1)) as cast:
        cast.has_created("Alice", "chess")
        cast.post("Mallory", "psst", "chess")
        cast.told_not_a_member("Mallory", "chess")
        cast.leave_group("Mallory")
        cast.told("Mallory", "you are not in a group")
        cast["Mallory"].request(chat.create_group("x" * 101))
        cast.told("Mallory", "group name is longer than 100 characters")
        cast["Mallory"].send("not json")
        cast["Mallory"].take_match(lambda m: str(m).startswith("ERROR: message is not valid JSON"))
        cast.settle()
        assert "psst" not in cast["Alice"].client.messages


def test_a_killed_node_s_members_are_removed_within_the_stated_time(
    own_cluster: Bed,
) -> None:
    """SIGKILL: within node timeout plus a third of it, the name is free elsewhere."""
    bound = detection_bound(NODE_TIMEOUT)
    took = checks.killed_node_members_leave_within(own_cluster, bound)
    assert took <= bound + checks.SLACK
    own_cluster.processes[0].stop()  # after which every line it wrote has been read
    log = own_cluster.processes[0].log_lines()
    assert any("stopped heartbeating: removed its 1 member from their groups" in x for x in log)


def test_sigterm_frees_the_node_s_groups_before_closing_its_clients_with_1001(
    own_cluster: Bed,
) -> None:
    checks.sigterm_frees_groups_before_closing_with_1001(own_cluster)
    log = own_cluster.processes[1].log_lines()
    assert any("left the cluster: removed this node's 1 member" in line for line in log)
    assert_every_line_names_the_node(log)


def assert_every_line_names_the_node(log: list[str]) -> None:
    """The first line says which broker the node joined; every line names the node."""
    pattern = r" INFO node ([0-9a-f]{8}) joined the cluster on broker 127\.0\.0\.1:\d+/0: "
    joined = re.search(pattern, log[0])
    assert joined, log
    assert all(f" node {joined[1]} " in line for line in log), log


def test_members_on_two_nodes_chat_again_after_redis_restarts(own_cluster: Bed) -> None:
    checks.groups_come_back_after_redis_restarts(own_cluster)
    for index in (0, 1):
        own_cluster.processes[index].stop()  # after which every line it wrote has been read
        log = " | ".join(own_cluster.processes[index].log_lines())
        assert "broker lost: " in log and "broker back after" in log, log


def test_while_redis_is_down_healthz_says_503_group_requests_get_an_error_and_echo_works(
    own_cluster: Bed,
) -> None:
    checks.redis_down_means_503_and_errors_but_echo(own_cluster)


def test_a_node_started_before_redis_serves_echo_and_joins_once_redis_is_up() -> None:
    redis = RedisServer(free_port())
    options = ("--broker", redis.url, "--node-timeout", f"{NODE_TIMEOUT:g}")
    with testbed.start(*options).process as node:
        assert node.url is not None
        assert health(node.url)[0] == 503
        with ChatCast([node.url]) as cast:
            cast.connect(["Alice"])
            cast.ask_for_echo("Alice", "hello")
            cast["Alice"].take("hello")
            cast.create_group("Alice", "early")
            cast["Alice"].take(chat.BROKER_UNAVAILABLE)
            with redis:
                cast.create_group_once_free("Alice", "early", within=5, broker_away=True)
                assert health(node.url) == (200, "OK\n")
        assert any("unreachable" in line for line in node.log_lines())
