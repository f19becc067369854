"""The specs tell a correct cluster from a broken one.

With people spread over the nodes, the default suite passes on three nodes of
one Redis, twice in a row; the ``@core`` scenarios fail on three servers that
share nothing; and each cluster node that breaks one promise fails the
scenario that states it, the late extra copy sent across nodes included.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from acceptance import testbed
from tests import cluster_checks
from tests.support import behave_duration, run_behave, run_python

cluster_checks.need_redis_server()

CLUSTER_PROMISES = {
    "local-fan-out-only": "People on different nodes chat as if on one",
    "published-twice": "People on different nodes chat as if on one",
    "slow-broker-link-published-twice": "People on different nodes chat as if on one",
    "slow-broker-link-joined-early": "People on different nodes chat as if on one",
    "names-per-node": "A name taken on one node is taken on every node",
    "check-then-set": "People on different nodes racing for one name: only one gets it",
    "dead-members-kept": "When a node goes down, its people drop out of their groups",
    "forgets-members-on-reconnect": "When the broker restarts, the groups come back",
}
"""Each broken node (tests/servers/broken_cluster.py) and a scenario that must catch it.

Names kept per node are caught by people who create one after the other: when
creations arrive at the same moment, every node may find the name free and let
Redis's atomic claim pick one creator, so the race does not catch that fault."""


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    return tmp_path / "reports"


def test_the_default_suite_passes_twice_on_three_nodes(reports: Path) -> None:
    """Everyone spread over three nodes of one Redis; nothing changes in the features."""
    for attempt in (1, 2):
        run = run_behave("-D", "nodes=3", report_dir=reports)
        assert run.returncode == 0, f"run {attempt}:\n{run.output}"
        assert run.with_status("passed"), run.output
        assert not run.with_status("skipped"), "every @cluster scenario runs on three nodes"


def test_the_default_suite_passes_on_three_nodes_50_ms_from_their_broker(reports: Path) -> None:
    """Every read from and write to Redis 50 ms late: waits for someone else's post on
    another node are proven by the nodes' echo barrier, never failed early."""
    run = run_behave(
        *("-D", "nodes=3", "-D", "node_module=tests.servers.broken_cluster"),
        *("-D", "node_options=--fault slow-broker-link"),
        report_dir=reports,
    )
    assert run.returncode == 0, run.output
    assert run.with_status("passed") and not run.with_status("failed"), run.output


@pytest.fixture
def unconnected_servers() -> Iterator[list[str]]:
    """Three chat servers that share nothing: each keeps its own groups."""
    with ExitStack() as stack:
        yield [stack.enter_context(testbed.start().process).url or "" for _ in range(3)]


def test_core_specs_fail_on_three_servers_that_share_nothing(
    unconnected_servers: list[str], reports: Path
) -> None:
    """A group created on one server is unknown on the next: the specs notice."""
    run = run_behave(
        "--tags=@core", "-D", f"server_urls={','.join(unconnected_servers)}", report_dir=reports
    )
    assert run.returncode != 0, run.output
    failed = {name.split(" -- @")[0] for name in run.with_status("failed")}
    assert "Every member hears a group message exactly once, the sender included" in failed


@pytest.mark.parametrize("fault", sorted(CLUSTER_PROMISES))
def test_specs_fail_on_nodes_that_break_one_promise(fault: str, reports: Path) -> None:
    run = run_behave(
        "--tags=@core or @cluster",
        *("-D", "nodes=3", "-D", "node_module=tests.servers.broken_cluster"),
        *("-D", f"node_options=--fault {fault}"),
        *behave_duration("timeout", 1000),
        report_dir=reports,
    )
    assert run.returncode != 0, run.output
    failed = {name.split(" -- @")[0] for name in run.with_status("failed")}
    assert CLUSTER_PROMISES[fault] in failed, run.output
    assert "What each person sent (→) and received (←)" in run.output


def test_a_suite_without_a_cluster_skips_the_cluster_feature_and_says_why(
    reports: Path,
) -> None:
    run = run_behave("features/cluster.feature", "--show-skipped", report_dir=reports)
    assert run.returncode == 0, run.output
    assert set(run.statuses.values()) == {"skipped"}, run.statuses
    assert "needs a cluster: run with -D nodes=3" in run.output


def test_a_missing_redis_server_stops_the_run_with_one_line(tmp_path: Path) -> None:
    """Without redis-server on PATH, -D nodes=N says how to install it, in one line."""
    result = run_python(
        "-m", "behave", "-D", "nodes=2", "features/echo.feature", env={"PATH": str(tmp_path)}
    )
    assert result.returncode != 0
    said = result.stdout + result.stderr
    lines = [line for line in said.splitlines() if "redis-server" in line]
    assert len(lines) == 1, said
    assert "redis-server is not on PATH: install Debian's redis-server package" in lines[0]


SVG = "{http://www.w3.org/2000/svg}"


def test_a_cluster_conversation_draws_each_persons_arrows_to_their_own_node(
    reports: Path,
) -> None:
    """On three nodes, Alice on the first and Bob on the second: the diagram has a
    lifeline for each of those two nodes (not the third, which nobody used), named
    by number with its URL on hover, and every arrow of a person goes to or comes
    from that person's own node."""
    conversations = reports / "conversations"
    run = run_behave(
        "features/cluster.feature",
        *("--name", "^People on different nodes chat as if on one$"),
        *("-D", "nodes=3", "-D", f"conversations={conversations}"),
        report_dir=reports,
    )
    assert run.returncode == 0, run.output
    tested = re.search(
        r"^testing 3 nodes.*?: (ws://\S+), (ws://\S+), (ws://\S+);", run.stderr, re.M
    )
    assert tested, run.stderr
    (svg,) = conversations.glob("*people-on-different-nodes-chat-as-if-on-one.svg")
    root = ElementTree.parse(svg).getroot()
    at: dict[str, str] = {}
    nodes: dict[str, str] = {}
    for head in root.iter(f"{SVG}g"):
        css = head.get("class", "")
        if css.startswith("cv-lifeline"):
            title = head.find(f"{SVG}text/{SVG}title")
            line = head.find(f"{SVG}line")
            assert title is not None and line is not None
            name = (title.tail or "").strip()
            at[line.get("x1", "")] = name
            if css.endswith("cv-node"):
                nodes[name] = title.text or ""
    assert nodes == {
        "node 1": f"node 1: {tested[1]}",
        "node 2": f"node 2: {tested[2]}",
    }, nodes
    own = {"Alice": "node 1", "Bob": "node 2"}  # as the scenario's Given steps place them
    drawn: dict[str, set[str]] = {"Alice": set(), "Bob": set()}
    for row in root.iter(f"{SVG}g"):
        kind = row.get("class", "").split()
        arrow = row.find(f"{SVG}line")
        if arrow is None or not {"cv-sent", "cv-received"} & set(kind):
            continue
        person, node = at[arrow.get("x1", "")], at[arrow.get("x2", "")]
        if "cv-received" in kind:
            person, node = node, person
        drawn[person].add(node)
    assert drawn == {name: {node} for name, node in own.items()}, drawn
