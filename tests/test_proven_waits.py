"""A wait that round trips prove unmet fails at once; one they cannot prove runs to its timeout.

Real chat servers (the project's, a slow one and a broken one) and real clients; the
chat's adapter, whose echo is a barrier, and the library's default adapter, which
makes no such promise.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest

from acceptance import chat, testbed
from acceptance.chat import ChatCast
from tests.support import MS
from wsharness import NotOnItsWay, ServerProcess, WaitTimeout, settings
from wsharness.bdd import Cast, Participant, ProtocolAdapter
from wsharness.bdd.cast import PROVEN, ROUND_TRIP_TIMES


def broken_server(*options: str) -> ServerProcess:
    argv = [sys.executable, "-m", "tests.servers.broken", *options, "--port", "0"]
    return testbed.start(command=argv).process


@pytest.fixture
def server() -> Iterator[ServerProcess]:
    with testbed.start().process as process:
        yield process


@pytest.fixture
def long_timeout() -> Iterator[None]:
    """A timeout no proven wait may reach: the test would run past pytest's limit."""
    before = settings.timing()
    settings.configure(timeout=600)
    yield
    settings.configure(timeout=before.timeout)


def cast_on(url: str, adapter: ProtocolAdapter | None = None) -> Cast:
    return Cast([url], adapter=adapter or chat.ChatAdapter())


def alice_and_bob_in_a_group(cast: Cast) -> tuple[Participant, Participant, str]:
    """Alice and Bob connected, Alice's group created and Bob in it; the group's name."""
    alice, bob = cast.connect(["Alice", "Bob"])
    group = cast.unique_name("book club")
    alice.request(chat.create_group(group))
    alice.take(chat.group_created(group))
    bob.request(chat.join_group(group))
    bob.take(chat.group_joined(group))
    return alice, bob, group


def test_a_wrong_reply_fails_at_once_naming_what_arrived(
    server: ServerProcess, long_timeout: None
) -> None:
    """Alice asked for one echo and waits for another: the proof fails the wait with
    what she did receive, long before the timeout of 600 s."""
    assert server.url is not None
    cast = cast_on(server.url)
    try:
        (alice,) = cast.connect(["Alice"])
        alice.request(chat.echo("hello"))
        with pytest.raises(NotOnItsWay) as failure:
            alice.take("goodbye")
    finally:
        cast.close_all()
    message = str(failure.value)
    assert message.startswith(f"Alice did not receive 'goodbye'; {PROVEN}; it received ")
    assert "'hello'" in message


def test_someone_elses_post_is_waited_for_and_a_missing_one_is_proven_missing(
    long_timeout: None,
) -> None:
    """On a server that answers every message 300 ms late, Bob hears Alice's post when it
    comes; a post nobody sent is proven missing without waiting out the timeout."""
    with broken_server("--fault", "none", "--delay", "0.3") as slow:
        assert slow.url is not None
        cast = cast_on(slow.url)
        try:
            alice, bob, group = alice_and_bob_in_a_group(cast)
            alice.request(chat.message_group(group, "Chapter three tonight?"))
            bob.take("Chapter three tonight?")
            alice.take("Chapter three tonight?")
            with pytest.raises(NotOnItsWay, match=PROVEN):
                bob.take("Chapter four?")
        finally:
            cast.close_all()


def test_without_a_barrier_a_wait_runs_to_its_timeout(server: ServerProcess) -> None:
    """The library's default adapter promises no barrier: the same wrong wait times out,
    as it always did, and says so."""
    assert server.url is not None
    echo_only = ProtocolAdapter()
    cast = cast_on(server.url, echo_only)
    try:
        (alice,) = cast.connect(["Alice"])
        alice.client.timeout = 300 * MS
        alice.request(chat.echo("hello"))
        with pytest.raises(WaitTimeout) as failure:
            alice.take_match(lambda data: data == "goodbye", "'goodbye'")
    finally:
        cast.close_all()
    assert not isinstance(failure.value, NotOnItsWay)
    assert "within" in str(failure.value)


def test_someone_who_cannot_answer_a_round_trip_leaves_the_wait_to_its_timeout(
    server: ServerProcess,
) -> None:
    """Bob has stopped reading: his requests cannot be proven handled, so Alice's wait is
    not failed early, but runs to its timeout."""
    assert server.url is not None
    cast = cast_on(server.url)
    try:
        alice, bob = cast.connect(["Alice", "Bob"])
        bob.client.stop_reading()
        alice.client.timeout = 300 * MS
        alice.request(chat.echo("hello"))
        with pytest.raises(WaitTimeout) as failure:
            alice.take("goodbye")
    finally:
        cast.close_all()
    assert not isinstance(failure.value, NotOnItsWay)


def test_the_late_window_catches_a_message_sent_late_from_background_work() -> None:
    """A fourth copy sent 20 ms after the three, from background work: with a late
    window the wait watches that long after its proof, and hears it."""
    before = settings.timing()
    settings.configure(late_window=1000 * MS / before.scale)
    try:
        with broken_server("--fault", "late-fourth-echo") as late:
            assert late.url is not None
            cast = cast_on(late.url)
            try:
                (alice,) = cast.connect(["Alice"])
                alice.request(chat.echo_times_3("Hip hip hooray"))
                alice.take_copies("Hip hip hooray", 4)
            finally:
                cast.close_all()
    finally:
        settings.configure(late_window=before.late_window)


def test_a_proof_is_traffic_of_its_own_in_the_transcript(server: ServerProcess) -> None:
    """The proof's round trips are marked as such and never count as unexpected."""
    assert server.url is not None
    cast = cast_on(server.url)
    try:
        alice, bob = cast.connect(["Alice", "Bob"])
        alice.request(chat.echo("hello"))
        alice.take("hello")
        with pytest.raises(NotOnItsWay):
            alice.take("hello")
        cast.assert_nothing_else([alice, bob])
    finally:
        cast.close_all()
    sent = [str(event.data) for event in alice.client.transcript if event.kind == "sent"]
    assert any(json.loads(text)["value"].startswith("proof ") for text in sent[1:]), sent


def test_a_proofs_replies_are_never_taken_for_the_message_waited_for(
    long_timeout: None,
) -> None:
    """On a server 300 ms late, Bob's own round trip comes back before Alice's post: a
    wait for "the next message", or for any message at all, still gets the post."""
    with broken_server("--fault", "none", "--delay", "0.3") as slow:
        assert slow.url is not None
        cast = cast_on(slow.url)
        try:
            alice, bob, group = alice_and_bob_in_a_group(cast)
            for post in ("first", "second"):
                alice.request(chat.message_group(group, post))
            ROUND_TRIP_TIMES[slow.url] = 0.0  # no grace: Bob's round trips race the posts
            (first,) = bob.take_messages(1)
            second = bob.take_match(lambda data: True, "any message")
            assert (first.data, second.data) == ("first", "second")
            alice.take_copies("first", 1)
            alice.take_copies("second", 1)
            cast.assert_nothing_else([alice, bob])
        finally:
            cast.close_all()


def test_told_names_the_scenarios_group_as_receives_does(server: ServerProcess) -> None:
    """ "Bob is told ..." is "Bob receives ..." in the chat's words: a group its reason
    names is the scenario's, so the right reply passes and nothing is left over."""
    assert server.url is not None
    with ChatCast([server.url]) as cast:
        cast.connect(["Bob"])
        cast.post("Bob", "hello", "book club")
        cast.told("Bob", "you are not a member of book club")
        cast.receive_nothing_else(["Bob"])
