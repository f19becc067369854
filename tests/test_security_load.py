"""Clients that abuse a real server process: a flood, a member who stops reading, a
peer that stops answering pings, handshakes left silent, requests beyond a rate."""

from __future__ import annotations

import json
import selectors
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from acceptance import testbed
from bench.hostile import flooding, stop_flood
from tests.security_support import (
    OP_CLOSE,
    OP_PING,
    OP_TEXT,
    Credentials,
    close_code,
    member_who_stops_reading_is_cut_off,
    raw_websocket,
    read_frame,
    send_frame,
)
from tests.support import ask_until_accepted
from wsharness import ServerProcess, TestWebSocket
from wsharness.runtime.limits import raise_open_file_limit


def _url(server: ServerProcess) -> str:
    assert server.url is not None
    return server.url


# -- Fairness ---------------------------------------------------------------------------


@pytest.fixture
def flooder() -> Iterator[tuple[ServerProcess, subprocess.Popen[str]]]:
    """A server, and a client pipelining ECHO_TIMES_3 at it as fast as it is read
    (:func:`bench.hostile.flooding`: it has printed READY, replies flow)."""
    with testbed.start().process as server, flooding(server, "ours") as process:
        yield server, process


def test_a_flood_from_one_client_does_not_hold_up_the_others(
    flooder: tuple[ServerProcess, subprocess.Popen[str]],
) -> None:
    """Bob's echoes come back in milliseconds while another client floods, and the
    flooder still gets every reply it is owed.

    Without turns, each of Bob's echoes waited for thousands of the flooder's
    requests: a median of 140 ms on the machine this was written on.
    """
    server, process = flooder
    times = []
    with TestWebSocket(_url(server), name="Bob") as bob:
        for n in range(50):
            started = time.perf_counter()
            bob.send_json({"type": "ECHO", "value": f"still here {n}"})
            bob.wait_for_message(f"still here {n}")
            times.append(time.perf_counter() - started)
    flood = stop_flood(process, timeout=90)
    assert statistics.median(times) < 0.02, f"median echo under a flood: {times}"
    assert flood.replies == flood.owed > 0, flood


# -- Request rate -----------------------------------------------------------------------


def test_requests_beyond_the_rate_get_an_error_and_the_connection_stays_usable() -> None:
    """--max-rate 5: a burst of 30 gets 5 answers (a little more if the burst is slow),
    then one refusal each; later requests are answered again; Bob is unaffected."""
    refused = "ERROR: too many requests: at most 5 per second; this one was not handled"
    with (
        testbed.start("--max-rate", "5").process as server,
        TestWebSocket(_url(server), name="Alice") as alice,
        TestWebSocket(_url(server), name="Bob") as bob,
    ):
        started = time.monotonic()
        for n in range(30):
            alice.send_json({"type": "ECHO", "value": f"n{n}"})
        replies = alice.wait_for_message_count(30)
        took = time.monotonic() - started
        assert replies[:5] == ["n0", "n1", "n2", "n3", "n4"]
        answered = [reply for reply in replies if reply != refused]
        assert answered == [f"n{n}" for n in range(len(answered))]
        assert len(answered) <= 5 + 5 * took + 1, replies
        for n in range(5):
            bob.send_json({"type": "ECHO", "value": f"bob {n}"})
            bob.wait_for_message(f"bob {n}")
        # The allowance comes back at 5 a second: ask until one is answered.
        alice.clear_messages()
        ask_until_accepted(
            alice,
            lambda attempt: ({"type": "ECHO", "value": f"again {attempt}"}, f"again {attempt}"),
            [refused],
            deadline=time.monotonic() + 3,
            failure="no request was answered again",
        )
        assert server.stop() == 0
    log = server.log_lines()
    assert sum("refusing requests from" in line for line in log) >= 1
    assert sum("refusing requests from" in line for line in log) <= 3, "one line per run"


# -- Slow consumers ---------------------------------------------------------------------


@pytest.mark.parametrize("tls", [False, True], ids=["ws", "wss"])
def test_a_member_who_stops_reading_is_cut_off_and_the_group_carries_on(
    tmp_path: Path, tls: bool
) -> None:
    """--max-queued-bytes 64 KiB: Mallory joins and never reads again; Alice posts
    8 MB. Mallory is closed (1013, or dropped if she does not even read the close),
    Alice and Bob hear every post, and Mallory has left the group."""
    credentials = Credentials.create(tmp_path)
    options = ["--max-queued-bytes", "65536", "--max-message-size", "16384"]
    context = None
    if tls:
        options += credentials.tls_options()
        context = credentials.client_context()
    with testbed.start(*options).process as server:
        url = _url(server)
        member_who_stops_reading_is_cut_off(url, url, url, context)
        assert server.stop() == 0
    cut = [line for line in server.log_lines() if "cut off" in line]
    assert len(cut) == 1, cut
    assert "too slow: over 64 KiB waiting to be sent (code 1013)" in cut[0]


# -- Keepalive --------------------------------------------------------------------------


def test_a_peer_that_stops_answering_pings_is_dropped_in_the_stated_time() -> None:
    """--ping-interval 0.5 --ping-timeout 0.5: a peer that reads but never answers a
    ping is closed within 1 s, plus the closing handshake's time limit (2 s); Alice,
    whose client answers pings, stays."""
    with (
        testbed.start("--ping-interval", "0.5", "--ping-timeout", "0.5").process as server,
        TestWebSocket(_url(server), name="Alice") as alice,
    ):
        alice.wait_until("open")
        with raw_websocket(_url(server)) as mute:
            opened = time.monotonic()
            pings, ending = 0, None
            while (frame := read_frame(mute, opened + 10)) is not None:
                if frame[0] == OP_PING:
                    pings += 1
                elif frame[0] == OP_CLOSE:
                    ending = close_code(frame[1])
            dropped = time.monotonic() - opened
        assert pings == 1
        assert ending == (1011, "keepalive ping timeout")
        assert 0.9 < dropped < 1.0 + 2.0 + 0.5, dropped
        alice.send_json({"type": "ECHO", "value": "still here"})
        alice.wait_for_message("still here")


def test_a_client_held_back_for_not_reading_its_replies_is_dropped_in_the_stated_time() -> None:
    """Mallory joins a group, then sends echo requests and never reads: the server stops
    reading her (backpressure), and with her send buffer full her pings cannot even be
    sent. She is still dropped within --ping-interval + --ping-timeout + 2 s, and so
    leaves her group: Bob can then create it."""
    group = "held back"
    with (
        testbed.start("--ping-interval", "0.5", "--ping-timeout", "0.5").process as server,
        TestWebSocket(_url(server), name="Bob") as bob,
        raw_websocket(_url(server)) as mallory,
    ):
        send_frame(mallory, json.dumps({"type": "CREATE_GROUP", "value": group}).encode())
        assert read_frame(mallory, time.monotonic() + 5) == (
            OP_TEXT,
            f"GROUP_CREATED: {group}".encode(),
        )
        request = json.dumps({"type": "ECHO", "value": "x" * 16384}).encode()
        mallory.settimeout(0.5)
        with pytest.raises(TimeoutError):
            for _ in range(2000):  # 32 MB of replies: far more than any buffer holds
                send_frame(mallory, request)
        held_back = time.monotonic()
        ask_until_accepted(  # within the stated time and a margin
            bob,
            ({"type": "CREATE_GROUP", "value": group}, f"GROUP_CREATED: {group}"),
            [f"GROUP_UNAVAILABLE: {group}"],
            deadline=held_back + 0.5 + 0.5 + 2.0 + 1.0,
            failure="still connected",
        )
        assert server.stop() == 0
    assert any("no answer to a ping from" in line for line in server.log_lines())


# -- Handshakes that never finish ----------------------------------------------------


def test_silent_sockets_are_closed_after_the_open_timeout_and_do_not_keep_anyone_out() -> None:
    """2,000 sockets that connect and say nothing: Alice still connects and chats at
    once, and the server closes every silent one within --open-timeout 1 (plus a
    margin). They never count against --max-connections."""
    silent_count = 2000
    assert raise_open_file_limit() > silent_count + 200, "needs more open files"
    silent: list[socket.socket] = []
    with testbed.start("--open-timeout", "1", "--max-connections", "10").process as server:
        url = _url(server)
        host, port = url.removeprefix("ws://").split(":")
        try:
            for _ in range(silent_count):
                sock = socket.create_connection((host, int(port)), timeout=10)
                silent.append(sock)
            opened = time.monotonic()
            with TestWebSocket(url, name="Alice") as alice:
                alice.send_json({"type": "ECHO", "value": "through the crowd"})
                alice.wait_for_message("through the crowd")
            assert time.monotonic() - opened < 1, "Alice was kept waiting"
            waiting = len(silent)
            deadline = opened + 1 + 3
            with selectors.DefaultSelector() as selector:
                for sock in silent:
                    selector.register(sock, selectors.EVENT_READ)
                while waiting and time.monotonic() < deadline:
                    for key, _ in selector.select(deadline - time.monotonic()):
                        ready = key.fileobj
                        assert isinstance(ready, socket.socket)
                        try:
                            ended = ready.recv(1) == b""
                        except ConnectionResetError:
                            ended = True
                        assert ended, "the server sent something on a silent socket"
                        selector.unregister(ready)
                        waiting -= 1
            assert not waiting, f"{waiting} silent sockets still open after the timeout"
        finally:
            for sock in silent:
                sock.close()
