"""What a cluster promises, as checks on a running cluster (:func:`acceptance.testbed.start`).

Each check raises :class:`AssertionError` (harness errors are assertions too)
when the cluster breaks its promise. ``tests/test_cluster_nodes.py`` runs them
against real nodes; ``tests/test_cluster_can_fail.py`` runs them against nodes
with one rule broken, to show that each check catches the break.
"""

from __future__ import annotations

import itertools
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from acceptance import chat
from acceptance.chat import ChatCast, until_accepted
from acceptance.testbed import INSTALL_REDIS, REDIS_SERVER, Bed
from tests.support import MS, missing
from wsharness import TestWebSocket
from wsharness.records import Data

SLACK = 1_000 * MS
"""Seconds allowed beyond a stated bound, for a busy test machine (scaled, like every
timeout here)."""


def need_redis_server() -> None:
    """Skip the calling test module without redis-server, or fail it in CI (CI=true)."""
    if not shutil.which(REDIS_SERVER):
        missing(f"{REDIS_SERVER} is not on PATH: {INSTALL_REDIS}; .ci/run does it as root")


@contextmanager
def people(cluster: Bed, *placed: tuple[str, int]) -> Iterator[ChatCast]:
    """The chat's driver with a connection for each (name, node index), closed afterwards."""
    with ChatCast(cluster.urls) as cast:
        for name, node in placed:
            cast.place(name, node)
        cast.connect(name for name, _ in placed)
        yield cast


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
    placed = [("Alice", 0), ("Bob", 1), ("Carol", 2 % len(cluster.urls)), ("Dave", 0), ("Erin", 1)]
    with people(cluster, *placed) as cast:
        cast.has_created("Alice", "book club")
        for name in ("Bob", "Carol", "Dave"):
            cast.has_joined(name, "book club")
        for i in range(rounds):
            cast.post("Alice", f"post from Alice {i}", "book club")
            cast.post("Bob", f"post from Bob {i}", "book club")
        members = [cast[name].client for name in ("Alice", "Bob", "Carol", "Dave")]
        for member in members:  # each sender's last post comes last (checked below)
            member.wait_for_message(f"post from Alice {rounds - 1}", timeout=timeout)
            member.wait_for_message(f"post from Bob {rounds - 1}", timeout=timeout)
        cast.settle()
        for member in members:
            for sender in ("Alice", "Bob"):
                posts = heard(member, prefix=f"post from {sender} ")
                expected = [f"post from {sender} {i}" for i in range(rounds)]
                assert posts == expected, f"{member.name} heard {sender}'s posts as {posts}"
        assert heard(cast["Erin"].client, prefix="post from ") == [], "Erin heard posts"


def one_creator_per_race(cluster: Bed, *, rounds: int = 100) -> None:
    """Two people on two nodes create one name at the same moment: one gets it."""
    with people(cluster, ("Alice", 0), ("Bob", 1)) as cast:
        for round_ in range(rounds):
            cast.create_at_once(["Alice", "Bob"], f"race {round_}")
            cast.only_one_creator(["Alice", "Bob"], f"race {round_}")


def joiner_hears_the_next_post(
    cluster: Bed, *, rounds: int = 10, timeout: float = 3_000 * MS
) -> None:
    """Once told GROUP_JOINED on another node, the joiner hears the very next post."""
    with people(cluster, ("Alice", 0), ("Bob", 1)) as cast:
        for round_ in range(rounds):
            cast.has_created("Alice", f"joined {round_}")
            cast.has_joined("Bob", f"joined {round_}")
            cast.post("Alice", f"welcome {round_}", f"joined {round_}")
            cast["Bob"].client.wait_for_message(f"welcome {round_}", timeout=timeout)


def echo_proves_posts_from_other_nodes_arrived(cluster: Bed, *, rounds: int = 5) -> None:
    """After the sender's echo and then the member's echo, the post is already there.

    The echoes are taken straight from the clients: a wait of the driver's could make
    round trips of its own, which would give the post more time than the two echoes."""
    with people(cluster, ("Alice", 0), ("Bob", 1)) as cast:
        cast.has_created("Alice", "proof")
        cast.has_joined("Bob", "proof")
        for round_ in range(rounds):
            post = f"proof {round_}"
            cast.post("Alice", post, "proof")
            for name in ("Alice", "Bob"):
                cast.ask_for_echo(name, f"{name} {round_}")
                cast[name].client.take_message(f"{name} {round_}", timeout=3_000 * MS)
            assert post in cast["Bob"].client.messages, f"Bob's echo came back before {post!r}"


def membership_changes_on_any_node_count_everywhere(cluster: Bed) -> None:
    """Join, leave and disconnect on one node are seen by the others."""
    with people(cluster, ("Alice", 0), ("Bob", 1), ("Carol", 2 % len(cluster.urls))) as cast:
        cast.has_created("Alice", "hiking")
        cast.has_joined("Bob", "hiking")
        cast.has_been_refused("Carol", "hiking")
        cast.has_left("Alice")
        cast.post("Bob", "still here", "hiking")
        cast["Bob"].take("still here")
        cast.settle()
        assert "still here" not in everything_received(cast["Alice"].client), (
            "Alice heard a post after leaving"
        )
        cast.disconnect("Bob")
        cast.create_group_once_free("Carol", "hiking", within=3_000 * MS, broker_away=True)


def two_spellings_are_one_group_on_every_node(cluster: Bed) -> None:
    """ "café" created on one node (with "é" as one character) is the group that "cafe"
    and a combining accent joins on another and finds taken on a third; each is
    answered in its own spelling, and a post reaches both members."""
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    with people(cluster, ("Alice", 0), ("Bob", 1), ("Carol", 2 % len(cluster.urls))) as cast:
        cast.has_created("Alice", composed)
        cast.has_joined("Bob", decomposed)
        cast.has_been_refused("Carol", decomposed)
        cast.post("Bob", "croissants", decomposed)
        cast["Bob"].take("croissants")
        cast["Alice"].client.wait_for_message("croissants", timeout=3_000 * MS)


def killed_node_members_leave_within(cluster: Bed, bound: float) -> float:
    """SIGKILL a node: its lone member's group can be created elsewhere within ``bound``."""
    with people(cluster, ("Alice", 1), ("Bob", 0)) as cast:
        cast.has_created("Alice", "orphaned")
        cast.has_been_refused("Bob", "orphaned")
        cast["Alice"].expect_closing()
        cluster.take_node_down(1)
        took = cast.create_group_once_free(
            "Bob", "orphaned", within=bound + SLACK, broker_away=True
        )
        cast.ask_for_echo("Bob", "still serving")
        cast["Bob"].take("still serving")
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
    with people(cluster, ("Alice", 1), ("Bob", 0)) as cast:
        cast.has_created("Alice", "farewell")
        cast["Alice"].expect_closing()
        assert cluster.processes[1].stop() == 0
        code, _ = cast["Alice"].expect_close()
        assert code == 1001
        cast.has_created("Bob", "farewell")  # right after the SIGTERM


def groups_come_back_after_redis_restarts(cluster: Bed) -> None:
    """An empty Redis: the nodes register their members again; nobody reconnects."""
    with people(cluster, ("Alice", 0), ("Bob", 1), ("Carol", 0)) as cast:
        cast.has_created("Alice", "book club")
        cast.has_joined("Bob", "book club")
        cluster.restart_broker()
        for name in ("Alice", "Bob"):  # until each one's node is back with the broker
            post_until_accepted(cast, name, "book club")
        cast.has_been_refused("Carol", "book club")  # the group returned
        cast.post("Alice", "Still there?", "book club")
        cast["Alice"].take("Still there?")
        cast["Bob"].client.wait_for_message("Still there?", timeout=1_000 * MS)
        cast.post("Bob", "Yes!", "book club")
        cast["Bob"].take("Yes!")
        cast["Alice"].client.wait_for_message("Yes!", timeout=1_000 * MS)
        cast.settle()
        for person in (cast["Alice"].client, cast["Bob"].client):
            assert everything_received(person).count("Still there?") == 1
            assert everything_received(person).count("Yes!") == 1
            assert person.state == "open"


def redis_down_means_503_and_errors_but_echo(cluster: Bed) -> None:
    """While Redis is down: /healthz 503 with one line, group requests get the
    error, echo works, nobody is disconnected; once back, 200 and posts again."""
    url = cluster.urls[0]
    assert health(url) == (200, "OK\n")
    with people(cluster, ("Alice", 0)) as cast:
        alice = cast["Alice"]
        cast.has_created("Alice", "rainy day")
        assert cluster.redis is not None
        cluster.redis.stop()
        cast.post("Alice", "anyone?", "rainy day")
        reply = alice.take_one_of(chat.BROKER_UNAVAILABLE, "anyone?")
        assert reply == chat.BROKER_UNAVAILABLE, "a post was accepted with Redis down"
        status, body = health(url)
        assert status == 503, f"/healthz answered {status} with Redis down"
        assert body.startswith("broker unreachable: ") and body.count("\n") == 1, body
        cast.ask_for_echo("Alice", "echo still works")
        alice.take("echo still works")
        cast.join_group("Alice", "other")
        alice.take(chat.BROKER_UNAVAILABLE)
        cluster.redis.start()
        post_until_accepted(cast, "Alice", "rainy day")
        assert health(url) == (200, "OK\n")
        assert alice.client.state == "open"


def post_until_accepted(
    cast: ChatCast, name: str, group: str, *, within: float = 5_000 * MS
) -> None:
    """Post probes until the node takes one (the reply is the post, not the broker error).

    Redis's return is not announced to clients, so, like
    :meth:`ChatCast.create_group_once_free`, this repeats the request after each refusal.
    """
    attempts = itertools.count()

    def post() -> bool:
        text = f"probe from {name} {next(attempts)}"
        cast.post(name, text, group)
        return cast[name].take_one_of(text, chat.BROKER_UNAVAILABLE) == text

    until_accepted(post, f"{name}'s node took no post", within=within)
