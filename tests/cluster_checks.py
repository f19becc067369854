"""What a cluster promises, as checks on a running cluster (:func:`acceptance.testbed.start`).

Each check raises :class:`AssertionError` (harness errors are assertions too)
when the cluster breaks its promise. ``tests/test_cluster_nodes.py`` runs them
against real nodes; ``tests/test_cluster_can_fail.py`` runs them against nodes
with one rule broken, to show that each check catches the break.
"""

from __future__ import annotations

import shutil
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit

from acceptance import chat
from acceptance.testbed import INSTALL_REDIS, REDIS_SERVER, Bed
from tests.support import MS, Ask, ask_until_accepted, first_of, missing
from wsharness import TestWebSocket
from wsharness.records import Data

SLACK = 1_000 * MS
"""Seconds allowed beyond a stated bound, for a busy test machine (scaled, like every
timeout here)."""


def need_redis_server() -> None:
    """Skip the calling test module without redis-server, or fail it in CI (CI=true)."""
    if not shutil.which(REDIS_SERVER):
        missing(f"{REDIS_SERVER} is not on PATH: {INSTALL_REDIS}; .ci/run does it as root")


def fresh(name: str) -> str:
    """A group name no other check or run uses."""
    return f"{name} [{uuid.uuid4().hex[:8]}]"


@contextmanager
def people(cluster: Bed, *placed: tuple[str, int]) -> Iterator[list[TestWebSocket]]:
    """Open a connection for each (name, node index); close them all afterwards."""
    with ExitStack() as stack:
        clients = [
            stack.enter_context(TestWebSocket(cluster.urls[node], name=f"{name} (node {node})"))
            for name, node in placed
        ]
        for client in clients:
            client.wait_until("open")
        yield clients


def send_and_ask(
    person: TestWebSocket, request: dict[str, object], *replies: str, timeout: float = 3_000 * MS
) -> str:
    """Send ``request``; take and return the first of ``replies`` that arrives."""
    person.send_json(request)
    return first_of(person, replies, timeout=timeout)


def settle(*everyone: TestWebSocket) -> None:
    """Two rounds of echoes from everyone: afterwards nothing more is on its way.

    The first round proves each node has finished every request sent before
    (and published it); in the second, each echo is answered only after its node
    has delivered what the broker carried before it, so every post is in.
    """
    for round_ in range(2):
        for person in everyone:
            token = f"settle {round_} {uuid.uuid4().hex}"
            send_and_ask(person, chat.echo(token), token)


def everything_received(person: TestWebSocket) -> list[Data]:
    """Every message ``person`` received, taken or not, in order."""
    return [
        event.data
        for event in person.transcript
        if event.kind == "received" and event.data is not None
    ]


def heard(person: TestWebSocket, *, prefix: str) -> list[Data]:
    return [m for m in everything_received(person) if isinstance(m, str) and m.startswith(prefix)]


def posts_reach_every_member_once_and_in_order(
    cluster: Bed, *, rounds: int = 20, timeout: float = 3_000 * MS
) -> None:
    """Two senders on different nodes post at once; every member on every node
    hears every post once, each sender's posts in order; a non-member hears none."""
    group = fresh("book club")
    placed = [("Alice", 0), ("Bob", 1), ("Carol", 2 % len(cluster.urls)), ("Dave", 0), ("Erin", 1)]
    with people(cluster, *placed) as (alice, bob, carol, dave, erin):
        send_and_ask(alice, chat.create_group(group), chat.group_created(group))
        for member in (bob, carol, dave):
            send_and_ask(member, chat.join_group(group), chat.group_joined(group))
        for i in range(rounds):
            alice.send_json(chat.message_group(group, f"post from Alice {i}"))
            bob.send_json(chat.message_group(group, f"post from Bob {i}"))
        members = (alice, bob, carol, dave)
        for member in members:  # each sender's last post comes last (checked below)
            member.wait_for_message(f"post from Alice {rounds - 1}", timeout=timeout)
            member.wait_for_message(f"post from Bob {rounds - 1}", timeout=timeout)
        settle(alice, bob, carol, dave, erin)
        for member in members:
            for sender in ("Alice", "Bob"):
                posts = heard(member, prefix=f"post from {sender} ")
                expected = [f"post from {sender} {i}" for i in range(rounds)]
                assert posts == expected, f"{member.name} heard {sender}'s posts as {posts}"
        assert heard(erin, prefix="post from ") == [], f"{erin.name} heard posts"


def one_creator_per_race(cluster: Bed, *, rounds: int = 100) -> None:
    """Two people on two nodes create one name at the same moment: one gets it."""
    with people(cluster, ("Alice", 0), ("Bob", 1)) as (alice, bob):
        for round_ in range(rounds):
            group = fresh(f"race {round_}")
            answers = (chat.group_created(group), chat.group_unavailable(group))
            alice.send_json(chat.create_group(group))
            bob.send_json(chat.create_group(group))
            got = [first_of(person, answers) for person in (alice, bob)]
            assert sorted(got) == sorted(answers), f"round {round_}: {got}"


def joiner_hears_the_next_post(
    cluster: Bed, *, rounds: int = 10, timeout: float = 3_000 * MS
) -> None:
    """Once told GROUP_JOINED on another node, the joiner hears the very next post."""
    with people(cluster, ("Alice", 0), ("Bob", 1)) as (alice, bob):
        for round_ in range(rounds):
            group = fresh(f"joined {round_}")
            send_and_ask(alice, chat.create_group(group), chat.group_created(group))
            send_and_ask(bob, chat.join_group(group), chat.group_joined(group))
            post = f"welcome {round_}"
            alice.send_json(chat.message_group(group, post))
            bob.wait_for_message(post, timeout=timeout)


def echo_proves_posts_from_other_nodes_arrived(cluster: Bed, *, rounds: int = 5) -> None:
    """After the sender's echo and then the member's echo, the post is already there."""
    group = fresh("proof")
    with people(cluster, ("Alice", 0), ("Bob", 1)) as (alice, bob):
        send_and_ask(alice, chat.create_group(group), chat.group_created(group))
        send_and_ask(bob, chat.join_group(group), chat.group_joined(group))
        for round_ in range(rounds):
            post = f"proof {round_}"
            alice.send_json(chat.message_group(group, post))
            send_and_ask(alice, chat.echo(f"alice {round_}"), f"alice {round_}")
            send_and_ask(bob, chat.echo(f"bob {round_}"), f"bob {round_}")
            assert post in bob.messages, f"{bob.name}'s echo came back before {post!r}"


def membership_changes_on_any_node_count_everywhere(cluster: Bed) -> None:
    """Join, leave and disconnect on one node are seen by the others."""
    group = fresh("hiking")
    with people(cluster, ("Alice", 0), ("Bob", 1), ("Carol", 2 % len(cluster.urls))) as everyone:
        alice, bob, carol = everyone
        send_and_ask(alice, chat.create_group(group), chat.group_created(group))
        send_and_ask(bob, chat.join_group(group), chat.group_joined(group))
        created, unavailable = chat.group_created(group), chat.group_unavailable(group)
        reply = send_and_ask(carol, chat.create_group(group), unavailable, created)
        assert reply == unavailable, f"{carol.name} was told {reply!r}"
        send_and_ask(alice, chat.leave_group(), chat.group_left(group))
        send_and_ask(bob, chat.message_group(group, "still here"), "still here")
        settle(alice, bob, carol)
        assert "still here" not in everything_received(alice), "Alice heard a post after leaving"
        bob.close()
        create_soon(carol, group, within=3_000 * MS)


def two_spellings_are_one_group_on_every_node(cluster: Bed) -> None:
    """ "café" created on one node (with "é" as one character) is the group that "cafe"
    and a combining accent joins on another and finds taken on a third; each is
    answered in its own spelling, and a post reaches both members."""
    composed = fresh("caf\u00e9")
    decomposed = composed.replace("caf\u00e9", "cafe\u0301")
    with people(cluster, ("Alice", 0), ("Bob", 1), ("Carol", 2 % len(cluster.urls))) as everyone:
        alice, bob, carol = everyone
        send_and_ask(alice, chat.create_group(composed), chat.group_created(composed))
        joined, unavailable = chat.group_joined(decomposed), chat.group_unavailable(decomposed)
        reply = send_and_ask(bob, chat.join_group(decomposed), joined, unavailable)
        assert reply == joined, f"{bob.name} was told {reply!a}"
        created = chat.group_created(decomposed)
        reply = send_and_ask(carol, chat.create_group(decomposed), unavailable, created)
        assert reply == unavailable, f"{carol.name} was told {reply!a}"
        send_and_ask(bob, chat.message_group(decomposed, "croissants"), "croissants")
        alice.wait_for_message("croissants", timeout=3_000 * MS)


def create_soon(person: TestWebSocket, group: str, *, within: float) -> float:
    """Ask to create ``group`` until it works; return the seconds it took.

    A departure has no acknowledgement, so this repeats the request each time
    the answer is "unavailable" (or the broker error), until ``within`` runs out.
    """
    created, unavailable = chat.group_created(group), chat.group_unavailable(group)
    start = time.monotonic()
    ask_until_accepted(
        person,
        (chat.create_group(group), created),
        [unavailable, chat.BROKER_UNAVAILABLE],
        deadline=start + within,
        failure=f"{person.name} could not create {group!r} within {within:g} s",
        others_may_arrive=True,
    )
    return time.monotonic() - start


def killed_node_members_leave_within(cluster: Bed, bound: float) -> float:
    """SIGKILL a node: its lone member's group can be created elsewhere within ``bound``."""
    group = fresh("orphaned")
    with people(cluster, ("Alice", 1), ("Bob", 0)) as (alice, bob):
        send_and_ask(alice, chat.create_group(group), chat.group_created(group))
        created, unavailable = chat.group_created(group), chat.group_unavailable(group)
        reply = send_and_ask(bob, chat.create_group(group), unavailable, created)
        assert reply == unavailable, f"{bob.name} was told {reply!r}"
        cluster.take_node_down(1)
        took = create_soon(bob, group, within=bound + SLACK)
        send_and_ask(bob, chat.echo("still serving"), "still serving")
        return took


def health(url: str) -> tuple[int, str]:
    """``GET /healthz`` on a node: (status, body)."""
    parts = urlsplit(url)
    try:
        with urllib.request.urlopen(
            f"http://{parts.netloc}/healthz", timeout=5_000 * MS
        ) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def sigterm_frees_groups_before_closing_with_1001(cluster: Bed) -> None:
    """SIGTERM: the node's clients get 1001, and their groups are free at once."""
    group = fresh("farewell")
    with people(cluster, ("Alice", 1), ("Bob", 0)) as (alice, bob):
        send_and_ask(alice, chat.create_group(group), chat.group_created(group))
        assert cluster.processes[1].stop() == 0
        alice.wait_until("close")
        assert alice.close_code == 1001
        created, unavailable = chat.group_created(group), chat.group_unavailable(group)
        reply = send_and_ask(bob, chat.create_group(group), created, unavailable)
        assert reply == created, f"{bob.name} was told {reply!r} right after the SIGTERM"


def groups_come_back_after_redis_restarts(cluster: Bed) -> None:
    """An empty Redis: the nodes register their members again; nobody reconnects."""
    group = fresh("book club")
    with people(cluster, ("Alice", 0), ("Bob", 1), ("Carol", 0)) as (alice, bob, carol):
        send_and_ask(alice, chat.create_group(group), chat.group_created(group))
        send_and_ask(bob, chat.join_group(group), chat.group_joined(group))
        cluster.restart_broker()
        for person in (alice, bob):  # until each one's node is back with the broker
            post_until_accepted(person, group)
        created, unavailable = chat.group_created(group), chat.group_unavailable(group)
        reply = send_and_ask(carol, chat.create_group(group), unavailable, created)
        assert reply == unavailable, f"{carol.name} was told {reply!r}: the group did not return"
        send_and_ask(alice, chat.message_group(group, "Still there?"), "Still there?")
        bob.wait_for_message("Still there?", timeout=1_000 * MS)
        send_and_ask(bob, chat.message_group(group, "Yes!"), "Yes!")
        alice.wait_for_message("Yes!", timeout=1_000 * MS)
        settle(alice, bob, carol)
        for person in (alice, bob):
            assert everything_received(person).count("Still there?") == 1
            assert everything_received(person).count("Yes!") == 1
            assert person.state == "open"


def redis_down_means_503_and_errors_but_echo(cluster: Bed) -> None:
    """While Redis is down: /healthz 503 with one line, group requests get the
    error, echo works, nobody is disconnected; once back, 200 and posts again."""
    url = cluster.urls[0]
    group = fresh("rainy day")
    assert health(url) == (200, "OK\n")
    with people(cluster, ("Alice", 0)) as (alice,):
        send_and_ask(alice, chat.create_group(group), chat.group_created(group))
        assert cluster.redis is not None
        cluster.redis.stop()
        reply = send_and_ask(
            alice, chat.message_group(group, "anyone?"), chat.BROKER_UNAVAILABLE, "anyone?"
        )
        assert reply == chat.BROKER_UNAVAILABLE, "a post was accepted with Redis down"
        status, body = health(url)
        assert status == 503, f"/healthz answered {status} with Redis down"
        assert body.startswith("broker unreachable: ") and body.count("\n") == 1, body
        send_and_ask(alice, chat.echo("echo still works"), "echo still works")
        send_and_ask(alice, chat.join_group(fresh("other")), chat.BROKER_UNAVAILABLE)
        cluster.redis.start()
        post_until_accepted(alice, group)
        assert health(url) == (200, "OK\n")
        assert alice.state == "open"


def post_until_accepted(person: TestWebSocket, group: str, *, within: float = 5_000 * MS) -> None:
    """Post probes until the node takes one (the reply is the post, not the broker error).

    Redis's return is not announced to clients, so, like :func:`create_soon`, this
    repeats the request after each refusal.
    """

    def probe(attempt: int) -> Ask:
        text = f"probe from {person.name} {attempt}"
        return chat.message_group(group, text), text

    ask_until_accepted(
        person,
        probe,
        [chat.BROKER_UNAVAILABLE],
        deadline=time.monotonic() + within,
        failure=f"{person.name}'s node took no post within {within:g} s",
        others_may_arrive=True,
    )
