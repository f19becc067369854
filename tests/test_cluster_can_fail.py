"""Each cluster check catches the break it is for.

Every test starts a cluster whose nodes all break one rule
(``tests/servers/broken_cluster.py``) and runs the check from
``tests/cluster_checks.py`` that ``tests/test_cluster_nodes.py`` runs against
correct nodes: here it must fail. The last test runs correct nodes on the same
slow link as three of the broken ones, to show the link alone is not what fails.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from acceptance import testbed
from acceptance.testbed import Bed
from server.cluster.node import detection_bound
from tests import cluster_checks as checks

checks.need_redis_server()

NODE_TIMEOUT = 1.0
BROKEN = "tests.servers.broken_cluster"

Check = Callable[[Bed], object]


def broken_cluster(fault: str, nodes: int = 2) -> Bed:
    return testbed.start("--fault", fault, nodes=nodes, node_timeout=NODE_TIMEOUT, module=BROKEN)


CAUGHT: list[tuple[str, Check]] = [
    (
        "local-fan-out-only",
        lambda c: checks.posts_reach_every_member_once_and_in_order(c, rounds=3, timeout=1),
    ),
    ("published-twice", lambda c: checks.posts_reach_every_member_once_and_in_order(c, rounds=3)),
    ("check-then-set", lambda c: checks.one_creator_per_race(c, rounds=100)),
    ("names-per-node", lambda c: checks.membership_changes_on_any_node_count_everywhere(c)),
    ("names-not-normalised", checks.two_spellings_are_one_group_on_every_node),
    (
        "dead-members-kept",
        lambda c: checks.killed_node_members_leave_within(c, detection_bound(NODE_TIMEOUT)),
    ),
    ("keeps-members-on-sigterm", checks.sigterm_frees_groups_before_closing_with_1001),
    ("forgets-members-on-reconnect", checks.groups_come_back_after_redis_restarts),
    ("healthy-without-broker", checks.redis_down_means_503_and_errors_but_echo),
    ("slow-broker-link-no-echo-barrier", checks.echo_proves_posts_from_other_nodes_arrived),
    (  # a second copy that is still on its way when the sender's echo returns
        "slow-broker-link-published-twice",
        lambda c: checks.posts_reach_every_member_once_and_in_order(c, rounds=1),
    ),
    (
        "slow-broker-link-joined-early",
        lambda c: checks.joiner_hears_the_next_post(c, rounds=3, timeout=1),
    ),
]


@pytest.mark.parametrize(
    ("fault", "check"), CAUGHT, ids=[f"{fault}-{i}" for i, (fault, _) in enumerate(CAUGHT)]
)
def test_the_check_fails_on_nodes_that_break_its_rule(fault: str, check: Check) -> None:
    with broken_cluster(fault, nodes=3) as cluster, pytest.raises(AssertionError):
        check(cluster)


def test_correct_nodes_on_the_same_slow_link_pass_those_checks() -> None:
    with broken_cluster("slow-broker-link") as cluster:
        checks.echo_proves_posts_from_other_nodes_arrived(cluster)
        checks.joiner_hears_the_next_post(cluster, rounds=3)
        checks.posts_reach_every_member_once_and_in_order(cluster, rounds=1)
