"""TestWebSocket against servers the tests control: the races the article discusses."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import sys
import threading
import time
import tracemalloc

import pytest
from hamcrest import contains_string
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Response

from acceptance import testbed
from tests.support import MS, ControlledServer, controlled_server
from wsharness import (
    ConnectionFailed,
    ConnectionLost,
    TestWebSocket,
    UnexpectedMessage,
    WaitTimeout,
    json_containing,
    send_at_once,
)
from wsharness.records import describe_url
from wsharness.settings import MAX_MESSAGE_SIZE, parse_size

SHORT = 200 * MS
"""A timeout for waits that are meant to fail; long enough to be a real wait."""

LONG = 5000 * MS
"""A timeout for waits that must end early, for another reason than time running out."""


async def _echo(connection: ServerConnection) -> None:
    async for message in connection:
        await connection.send(message)


def _send_soon(server: ControlledServer, connection: ServerConnection, text: str) -> None:
    """Have the server send ``text`` 100 ms from now, so it lands inside a wait that
    the test starts next: the way to test "arrives during the wait"."""

    async def schedule() -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(100 * MS, lambda: loop.create_task(connection.send(text)))

    server.do(schedule())


def test_wait_until_open_returns_once_connected_and_again_at_once() -> None:
    """The client connects in the background; a second wait returns without waiting."""
    with controlled_server() as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.wait_until("open")
        alice.wait_until("open", timeout=0)
        assert alice.state == "open"


def test_message_that_arrived_before_the_wait_is_found_at_once() -> None:
    """A message already received satisfies a wait with no time left at all."""
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.send("hello")
        alice.wait_for_message_count(1)
        record = alice.wait_for_message("hello", timeout=0)
        assert record.data == "hello"


def test_message_that_arrives_during_the_wait_ends_it() -> None:
    """A wait that starts before the message arrives returns when it does."""
    with controlled_server() as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.wait_until("open")
        connection = server.next_connection()
        started = time.monotonic()
        _send_soon(server, connection, "late news")
        record = alice.wait_for_message("late news")
        assert alice.messages == ["late news"]
        # The message really arrived while the wait was under way, not before it.
        assert record.at - started >= 50 * MS


def test_message_that_never_arrives_times_out_with_a_full_account() -> None:
    """The error names the client, what it waited for and everything it got."""
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.send("first")
        alice.send(b"\x01\x02")
        alice.wait_for_message_count(2)
        with pytest.raises(WaitTimeout) as failure:
            alice.wait_for_message("never", timeout=SHORT)
        text = str(failure.value)
        assert text.startswith(f"Alice did not receive 'never' within {SHORT:g} s")
        assert "it received 2 messages" in text
        assert "1. 'first'" in text
        assert "2. <binary, 2 bytes: 01 02>" in text


def test_include_existing_false_waits_for_a_new_occurrence() -> None:
    """An old copy does not count; a copy that arrives during the wait does."""
    with controlled_server() as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.wait_until("open")
        connection = server.next_connection()
        server.do(connection.send("ping"))
        alice.wait_for_message("ping")
        with pytest.raises(WaitTimeout):
            alice.wait_for_message("ping", include_existing=False, timeout=SHORT)
        _send_soon(server, connection, "ping")
        alice.wait_for_message("ping", include_existing=False)
        assert alice.messages == ["ping", "ping"]


def test_a_cleared_message_does_not_satisfy_a_later_wait() -> None:
    """After clear_messages() only a new copy counts, and it keeps its number."""
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.send("a")
        alice.send("b")
        alice.wait_for_message_count(2)
        alice.clear_messages()
        alice.send("a")
        record = alice.wait_for_message("a")
        assert record.seq == 2


def test_count_wait_returns_at_once_when_enough_messages_are_there() -> None:
    """Count waits accept more messages than asked for and return copies."""
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        for word in ("one", "two", "three"):
            alice.send(word)
        assert alice.wait_for_message_count(3) == ["one", "two", "three"]
        copy = alice.wait_for_message_count(2, timeout=0)
        assert copy == ["one", "two", "three"]
        copy.append("tampered")
        assert alice.messages == ["one", "two", "three"]


def test_count_wait_that_falls_short_says_how_many_arrived() -> None:
    """A count wait that times out lists the messages that did arrive."""
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.send("only one")
        alice.wait_for_message("only one")
        with pytest.raises(WaitTimeout, match=r"did not receive 2 messages.*received 1 message"):
            alice.wait_for_message_count(2, timeout=SHORT)


def test_clear_messages_forgets_messages_but_not_the_transcript() -> None:
    """Cleared messages are gone from ``messages``; the transcript keeps them."""
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.send("x")
        alice.wait_for_message("x")
        alice.clear_messages()
        assert alice.messages == []
        with pytest.raises(WaitTimeout, match=r"received nothing new \(1 message accounted for"):
            alice.wait_for_message("x", timeout=0)
        kinds = [event.kind for event in alice.transcript]
        assert kinds == ["open", "sent", "received"]


def test_binary_frame_never_equals_text() -> None:
    """b"hi" does not satisfy a wait for "hi", and the other way round."""
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.send(b"hi")
        alice.wait_for_message(b"hi")
        with pytest.raises(WaitTimeout):
            alice.wait_for_message("hi", timeout=0)
        assert alice.messages == [b"hi"]


def test_messages_keep_order_and_arrival_time() -> None:
    """Records are numbered in arrival order and carry non-decreasing times."""
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        for n in range(20):
            alice.send(str(n))
        alice.wait_for_message_count(20)
        records = alice.received
        assert [r.data for r in records] == [str(n) for n in range(20)]
        assert [r.seq for r in records] == list(range(20))
        assert all(a.at <= b.at for a, b in itertools.pairwise(records))
        assert records[0].at >= alice.created_at


def test_wait_for_match_uses_pyhamcrest_matchers() -> None:
    """A JSON subset matcher finds the message; a failing one is described."""
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.send_json({"type": "CHAT", "from": "Bob", "text": "hi"})
        record = alice.wait_for_match(json_containing({"from": "Bob"}))
        assert json.loads(str(record.data))["text"] == "hi"
        alice.wait_for_match(contains_string("CHAT"), timeout=0)
        with pytest.raises(WaitTimeout, match=r'a JSON text containing \{"from": "Carol"\}'):
            alice.wait_for_match(json_containing({"from": "Carol"}), timeout=0)


def test_assert_no_message_passes_in_silence_and_fails_on_arrival() -> None:
    """The quiet window fails as soon as a message arrives, naming it."""
    with controlled_server() as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.wait_until("open")
        connection = server.next_connection()
        alice.assert_no_message(within=SHORT)
        _send_soon(server, connection, "surprise")
        with pytest.raises(UnexpectedMessage, match=f"Alice received 'surprise' within {LONG:g} s"):
            alice.assert_no_message(within=LONG)


def test_close_is_recorded_with_code_and_reason() -> None:
    """A close by the server ends ``wait_until("close")`` and keeps code and reason."""
    with controlled_server() as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.wait_until("open")
        connection = server.next_connection()
        server.do(connection.close(4000, "bye now"))
        alice.wait_until("close")
        assert (alice.close_code, alice.close_reason) == (4000, "bye now")
        assert alice.transcript[-1].detail == "code 4000, bye now"


def test_wait_fails_at_once_when_the_connection_closes() -> None:
    """A message wait ends with ConnectionLost when the server goes away, not a timeout."""
    with controlled_server() as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.wait_until("open")
        connection = server.next_connection()

        async def close_soon() -> None:
            asyncio.get_running_loop().call_later(100 * MS, connection.transport.abort)

        server.do(close_soon())
        with pytest.raises(ConnectionLost, match=r"Alice could not receive 'reply'.*code 1006"):
            alice.wait_for_message("reply", timeout=LONG)


def test_close_waits_until_closed_and_is_idempotent() -> None:
    """close() returns once closed; calling it again is harmless."""
    with controlled_server() as server:
        alice = TestWebSocket(server.url, name="Alice")
        alice.wait_until("open")
        alice.close()
        alice.close()
        assert (alice.state, alice.close_code) == ("closed", 1000)
        alice.wait_until("close", timeout=0)


def test_close_before_the_connection_opened_abandons_the_attempt() -> None:
    """Against a listener that never answers the handshake, close() ends the attempt."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        alice = TestWebSocket(f"ws://127.0.0.1:{port}", name="Alice")
        assert alice.state == "connecting"
        alice.close()
        alice.close()
        alice.wait_until("close", timeout=0)
        with pytest.raises(ConnectionFailed, match="closed before its connection"):
            alice.wait_until("open", timeout=0)


def test_drop_cuts_the_connection_without_a_closing_handshake() -> None:
    """A dropped client looks like a crash: the server sees code 1006."""
    with controlled_server() as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.wait_until("open")
        connection = server.next_connection()
        alice.drop()
        server.do(connection.wait_closed())
        assert connection.close_code == 1006
        assert alice.close_code == 1006


def test_send_waits_for_the_connection_to_open() -> None:
    """A test may send straight after creating the client."""
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.send("no need to wait")
        alice.wait_for_message("no need to wait")


def test_sending_on_a_closed_connection_says_so() -> None:
    """Sending after close raises ConnectionLost naming the client and the message."""
    with controlled_server() as server:
        alice = TestWebSocket(server.url, name="Alice")
        alice.wait_until("open")
        alice.close()
        with pytest.raises(ConnectionLost, match=r"Alice cannot send 'late': .*code 1000"):
            alice.send("late")


def test_refused_connection_names_url_and_cause() -> None:
    """Nothing listening: one line with the URL and 'connection refused'."""
    with controlled_server() as server:
        url = server.url
    bob = TestWebSocket(url, name="Bob")
    with pytest.raises(ConnectionFailed) as failure:
        bob.wait_until("open")
    assert str(failure.value) == (
        f"Bob could not connect to {url}: connection refused (is the server running?)"
    )
    assert "\n" not in str(failure.value)


def test_rejected_handshake_names_the_http_status() -> None:
    """A server that answers the handshake with HTTP 503 is reported as such."""

    def refuse(connection: ServerConnection, request: object) -> object:
        return connection.respond(503, "full\n")

    with controlled_server(process_request=refuse) as server:
        carol = TestWebSocket(server.url, name="Carol")
        with pytest.raises(ConnectionFailed, match=r"the server answered HTTP 503 \(full\)"):
            carol.send("hello")


def test_the_handshake_response_can_be_read_once_open() -> None:
    """The subprotocol the server chose and its response headers are there to check."""

    def tag(connection: ServerConnection, request: object, response: Response) -> Response:
        response.headers["X-Served-By"] = "node 7"
        return response

    with (
        controlled_server(process_response=tag, subprotocols=["chat.v2"]) as server,
        TestWebSocket(server.url, name="Alice", subprotocols=["chat.v1", "chat.v2"]) as alice,
    ):
        alice.wait_until("open")
        assert alice.subprotocol == "chat.v2"
        assert alice.response_headers["X-Served-By"] == "node 7"
        assert alice.response_headers["Sec-WebSocket-Protocol"] == "chat.v2"


def test_no_response_headers_without_a_response() -> None:
    """A connection that was refused has no response to read: empty headers, no error."""
    with controlled_server() as server:
        url = server.url
    bob = TestWebSocket(url, name="Bob")
    with pytest.raises(ConnectionFailed):
        bob.wait_until("open")
    assert list(bob.response_headers.raw_items()) == []
    assert bob.subprotocol is None


def test_bad_arguments_are_refused_early() -> None:
    """URLs, states, timeouts and counts are checked before anything happens."""
    with pytest.raises(ValueError, match="must start with ws://"):
        TestWebSocket("http://localhost")
    with controlled_server() as server, TestWebSocket(server.url) as client:
        with pytest.raises(ValueError, match='"open" or "close"'):
            client.wait_until("opened")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="timeout must be"):
            client.wait_for_message("x", timeout=-1)
        with pytest.raises(ValueError, match="count must be"):
            client.wait_for_message_count(-1)
        with pytest.raises(TypeError, match="str or bytes"):
            client.send(42)  # type: ignore[arg-type]


def test_the_limits_have_one_name_each_and_are_checked_early() -> None:
    """The message size limit is ``max_message_size``, in bytes or with a unit in a
    setting; websockets' names for what the client sets itself are refused, saying
    what to give instead."""
    url = "ws://127.0.0.1:9"
    with pytest.raises(ValueError, match=r"^give max_message_size=BYTES, not max_size$"):
        TestWebSocket(url, max_size=1024)
    with pytest.raises(ValueError, match=r"^give close\(timeout=SECONDS\), not close_timeout$"):
        TestWebSocket(url, close_timeout=1)
    with pytest.raises(ValueError, match="max_message_size must be a whole number of bytes"):
        TestWebSocket(url, max_message_size=0)
    assert [parse_size(text) for text in ("16MiB", "512 KiB", "1048576", "1gib")] == [
        16 * 2**20,
        512 * 2**10,
        2**20,
        2**30,
    ]
    for text in ("16MB", "lots", "0", "-1", "1.5MiB"):
        with pytest.raises(ValueError, match="must be a size such as 16MiB"):
            parse_size(text)


def test_client_answers_pings_while_the_test_is_busy_elsewhere() -> None:
    """The background loop keeps answering pings while the test thread blocks."""
    with controlled_server() as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.wait_until("open")
        connection = server.next_connection()

        async def ping_round_trips() -> None:
            for _ in range(5):
                pong = await connection.ping()
                await asyncio.wait_for(pong, 2000 * MS)

        # The test thread blocks in this call; the pongs come from the harness's loop.
        server.do(ping_round_trips(), timeout=15_000 * MS)
        assert alice.state == "open"


def test_a_thousand_clients_share_one_thread() -> None:
    """Clients cost sockets, not threads: 1,000 of them add no thread."""
    with controlled_server(_echo) as server:
        TestWebSocket(server.url, name="warm-up").close()
        threads_before = threading.active_count()
        clients = [TestWebSocket(server.url, name=f"client {n}") for n in range(1000)]
        try:
            for client in clients:
                client.wait_until("open")
            clients[-1].send("still fine")
            clients[-1].wait_for_message("still fine")
            assert threading.active_count() == threads_before
        finally:
            for client in clients:
                client.close()


def test_taking_a_message_accounts_for_it_so_the_next_take_needs_another_copy() -> None:
    """take_message() consumes one copy; waiting again names "another" copy."""
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.send("hi")
        first = alice.take_message("hi")
        assert alice.messages == []
        with pytest.raises(WaitTimeout, match="Alice did not receive another 'hi'"):
            alice.take_message("hi", timeout=SHORT)
        alice.send("hi")
        assert alice.take_message("hi").seq == first.seq + 1


def test_the_article_waits_leave_messages_outstanding() -> None:
    """wait_for_message() finds a message without using it up: two waits, one copy."""
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.send("hi")
        assert alice.wait_for_message("hi").seq == alice.wait_for_message("hi").seq == 0
        assert alice.take_message("hi", timeout=0).seq == 0


def test_take_messages_takes_the_oldest_in_order() -> None:
    """take_messages(n) returns the next n outstanding messages and leaves the rest."""
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        for word in ("one", "two", "three"):
            alice.send(word)
        alice.wait_for_message_count(3)
        assert [record.data for record in alice.take_messages(2)] == ["one", "two"]
        assert alice.messages == ["three"]


def test_a_timeout_lists_only_what_is_still_outstanding() -> None:
    """Messages already taken are counted in the error, not listed again."""
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.send("taken")
        alice.take_message("taken")
        alice.send("left")
        alice.wait_for_message("left")
        with pytest.raises(WaitTimeout) as failure:
            alice.wait_for_message("never", timeout=0)
        text = str(failure.value)
        assert "it received 2 messages, 1 of them accounted for before; the others:" in text
        assert "2. 'left'" in text and "'taken'" not in text


def test_a_failure_counts_and_numbers_only_what_was_not_set_aside() -> None:
    """Replies set aside (a round trip's that proves silence) are the harness's, not
    the scenario's: a failure neither counts them nor numbers the others after them."""
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        for word in ("taken", "left"):
            aside = alice.expect_aside(f"proof {word}")
            alice.send(f"proof {word}")
            alice.wait_for_aside(aside)
            alice.send(word)
            alice.wait_for_message(word)
            if word == "taken":
                alice.take_message(word)
        with pytest.raises(WaitTimeout) as failure:
            alice.wait_for_message("never", timeout=0)
        text = str(failure.value)
        assert "it received 2 messages, 1 of them accounted for before; the others:" in text
        assert "\n  2. 'left'" in text and "proof" not in text, text


def test_a_waiting_match_looks_at_each_new_message_once() -> None:
    """A wait that wakes for every arrival examines only what is new, so its cost
    does not grow with the messages the client already holds."""
    held, arriving = 500, 20
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        for number in range(held):
            alice.send(f"old {number}")
        alice.wait_for_message_count(held)
        looked_at: list[object] = []

        def is_last(data: object) -> bool:
            looked_at.append(data)
            return data == f"new {arriving - 1}"

        connection = server.connections[0]

        async def trickle() -> None:
            for number in range(arriving):
                await connection.send(f"new {number}")

        async def trickle_soon() -> None:
            loop = asyncio.get_running_loop()
            loop.call_later(0.1, lambda: loop.create_task(trickle()))

        server.do(trickle_soon())
        alice.wait_for_match(is_last)
        # Each message once, however many times the wait woke up.
        assert len(looked_at) == len(set(looked_at)) == held + arriving


def test_messages_sent_with_the_handshake_are_recorded_first_and_in_order() -> None:
    """A server that talks before the client looked is still heard, in order."""

    async def greet(connection: ServerConnection) -> None:
        for number in range(50):
            await connection.send(f"hello {number}")
        await connection.wait_closed()

    with controlled_server(greet) as server, TestWebSocket(server.url, name="Alice") as alice:
        assert alice.wait_for_message_count(50) == [f"hello {number}" for number in range(50)]
        assert alice.transcript[0].kind == "open"


def test_a_fragmented_message_arrives_whole() -> None:
    """Fragments are joined into one message, text and binary alike."""

    async def fragments(connection: ServerConnection) -> None:
        await connection.send(["frag", "men", "ted"])
        await connection.send([b"\x01", b"\x02"])
        await connection.wait_closed()

    with controlled_server(fragments) as server, TestWebSocket(server.url, name="Alice") as alice:
        assert alice.wait_for_message_count(2) == ["fragmented", b"\x01\x02"]


def test_invalid_utf8_in_a_text_frame_closes_the_connection_with_1007() -> None:
    """The client refuses a text frame that is not UTF-8, as the protocol requires."""

    async def bad_text(connection: ServerConnection) -> None:
        await connection.send(b"\xff\xfe", text=True)
        await connection.wait_closed()

    with controlled_server(bad_text) as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.wait_until("close")
        connection = server.next_connection()
        server.do(connection.wait_closed())
        assert connection.close_code == 1007  # what the client told the server
        assert alice.messages == []


def test_a_client_that_stops_reading_leaves_what_the_server_sends_unread() -> None:
    """stop_reading() makes a slow consumer: the server's sends pile up until
    resume_reading(), and then every message arrives, in order."""
    with controlled_server() as server, TestWebSocket(server.url, name="Dave") as dave:
        dave.stop_reading()
        connection = server.next_connection()
        payload = "x" * 65536

        async def flood() -> int:
            # Send until the server's own buffer stays full: the client is not reading.
            for sent in range(1, 1000):
                connection.protocol.send_text(payload.encode())
                connection.send_data()
                if connection.transport.get_write_buffer_size() > 4 * 2**20:
                    return sent
            raise AssertionError("the client kept reading")

        sent = server.do(flood())
        dave.assert_no_message(within=100 * MS)
        dave.resume_reading()
        assert dave.wait_for_message_count(sent, timeout=10_000 * MS) == [payload] * sent


def test_send_all_pipelines_a_burst_in_order() -> None:
    """send_all() writes many messages without waiting between them; each one is
    sent once, in order, and the transcript lists every one."""
    words = [f"word {n}" for n in range(500)]
    with controlled_server(_echo) as server, TestWebSocket(server.url, name="Alice") as alice:
        alice.send_all(words)
        assert alice.wait_for_message_count(len(words)) == words
        assert [event.data for event in alice.transcript if event.kind == "sent"] == words


def test_send_at_once_sends_one_message_from_each_client() -> None:
    """send_at_once() hands every client's write to the loop before waiting for any;
    each message is sent once, by its own client, and recorded in its transcript."""
    with (
        controlled_server(_echo) as server,
        TestWebSocket(server.url, name="Alice") as alice,
        TestWebSocket(server.url, name="Bob") as bob,
    ):
        send_at_once([(alice, "mine"), (bob, "ours")])
        assert alice.wait_for_message_count(1) == ["mine"]
        assert bob.wait_for_message_count(1) == ["ours"]
        assert [event.data for event in bob.transcript if event.kind == "sent"] == ["ours"]


async def _one_message_too_big(connection: ServerConnection) -> None:
    """Send one message of 2 KiB, in four fragments, then hold the connection open."""
    await connection.send(iter(["x" * 512] * 4))
    async for _ in connection:
        pass


def test_a_message_past_the_size_limit_fails_the_wait_instead_of_filling_memory() -> None:
    """A server that sends more than the client accepts (all fragments together): the
    wait fails naming the limit, and the client closes with 1009; the default limit is
    16 MiB, and max_message_size changes it."""
    assert MAX_MESSAGE_SIZE == 16 * 2**20
    with (
        controlled_server(_one_message_too_big) as server,
        TestWebSocket(server.url, name="Alice", max_message_size=1024, timeout=LONG) as alice,
    ):
        assert TestWebSocket(server.url, name="Bob").max_message_size == MAX_MESSAGE_SIZE
        with pytest.raises(ConnectionLost) as failure:
            alice.wait_for_message("the whole message")
        assert str(failure.value) == (
            "Alice could not receive 'the whole message': the server sent a message over "
            "the harness's 1 KiB limit (max_message_size); it received nothing"
        )
        alice.wait_until("close")
        assert alice.close_code == 1009


def test_a_token_in_an_address_is_hidden_however_its_name_is_written() -> None:
    """Shown URLs hide the token, also when its name is percent-encoded as a server
    decodes it, or in another case."""
    assert describe_url("wss://a:1/?%74oken=s3cret&b=2") == "wss://a:1/?%74oken=***&b=2"
    assert describe_url("ws://a:1/?Access_Token=s3cret") == "ws://a:1/?Access_Token=***"


HELD = 20_000
"""How many messages the memory test holds: enough that fixed costs vanish."""


def test_a_held_message_costs_a_few_hundred_bytes_beyond_its_text() -> None:
    """A message received and not yet taken costs its text and under 400 bytes more
    (its record, its line in the transcript, its place in the index of equal
    messages): a client can hold a hundred thousand of them."""
    argv = [sys.executable, "-m", "tests.servers.misbehaving", f"many={HELD}", "--port", "0"]
    with testbed.start(command=argv).process as server:
        assert server.url is not None
        with TestWebSocket(server.url, name="Alice", timeout=60_000 * MS) as alice:
            alice.wait_until("open")
            tracemalloc.start()
            try:
                before = tracemalloc.get_traced_memory()[0]
                alice.send("go")
                held = alice.wait_for_message_count(HELD)
                used = tracemalloc.get_traced_memory()[0] - before
            finally:
                tracemalloc.stop()
    texts = sum(sys.getsizeof(data) for data in held) + sys.getsizeof(held)
    assert (used - texts) / HELD < 400, f"{(used - texts) / HELD:.0f} bytes a message"
