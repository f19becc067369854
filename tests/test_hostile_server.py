"""What a hostile client can no longer make the server do: grow without limit from
pings, ping beyond ``--max-rate``, take every file with silent sockets; and what a
merely slow member reads when it is cut off. Each against a real server process."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psutil
from websockets.sync.client import connect

from acceptance import testbed
from bench.rawws import client_frame
from tests.security_support import (
    OP_CLOSE,
    OP_PING,
    OP_TEXT,
    close_code,
    raw_websocket,
    read_frame,
    send_frame,
)
from wsharness import ServerProcess, TestWebSocket
from wsharness.runtime.limits import raise_open_file_limit

MIB = 2**20
PING = 125 * b"p"
"""The largest ping payload RFC 6455 allows."""


def _url(server: ServerProcess) -> str:
    assert server.url is not None
    return server.url


def _rss(server: ServerProcess) -> int:
    assert server.pid is not None
    return int(psutil.Process(server.pid).memory_info().rss)


@contextmanager
def _pinging(sock: socket.socket, *, batch: int = 64) -> Iterator[threading.Event]:
    """Send pings on ``sock`` as fast as the server takes them, from a thread, until
    the connection ends or the block is left; the event is set when it ended."""
    frames = client_frame(OP_PING, PING) * batch
    ended = threading.Event()
    leaving = threading.Event()

    def flood() -> None:
        try:
            while not leaving.is_set():
                sock.sendall(frames)
        except OSError:  # reset, broken pipe, or the socket closed under us
            ended.set()

    sock.settimeout(None)
    thread = threading.Thread(target=flood, daemon=True)
    thread.start()
    try:
        yield ended
    finally:
        leaving.set()
        with contextlib.suppress(OSError):  # already reset by the server
            sock.shutdown(socket.SHUT_RDWR)
        thread.join(10)


def test_a_ping_flood_from_a_client_that_stops_reading_is_held_back_and_dropped() -> None:
    """Mallory sends pings as fast as she can and never reads the pongs. The pongs
    she is owed hold her back like replies she does not read: the server stops
    reading her, grows by well under 32 MiB, and the keepalive drops her
    (--ping-interval 1 --ping-timeout 1); Alice is served throughout.

    Before pongs counted, the server grew by about 1 GiB in 30 s."""
    with testbed.start("--ping-interval", "1", "--ping-timeout", "1").process as server:
        before = _rss(server)
        peak = before
        with (
            TestWebSocket(_url(server), name="Alice") as alice,
            raw_websocket(_url(server), receive_buffer=4096) as mallory,
            _pinging(mallory) as ended,
        ):
            deadline = time.monotonic() + 20
            while not ended.wait(0.1) and time.monotonic() < deadline:
                peak = max(peak, _rss(server))
            assert ended.is_set(), "Mallory is still connected after 20 s of pings"
            alice.send_json({"type": "ECHO", "value": "still served"})
            alice.wait_for_message("still served")
        assert (peak - before) / MIB < 32, f"the server grew by {(peak - before) / MIB:.0f} MiB"
        server.wait_for_log("no answer to a ping from")


def test_pings_beyond_the_rate_close_the_connection_with_1008() -> None:
    """With --max-rate 10, a burst of 50 pings: the 11th closes the connection with
    1008 and a reason; every ping read before the close got its pong, as RFC 6455
    requires."""
    with testbed.start("--max-rate", "10").process as server:
        with raw_websocket(_url(server)) as mallory:
            mallory.sendall(client_frame(OP_PING, b"hello") * 50)
            pongs, ending = 0, None
            deadline = time.monotonic() + 5
            while (frame := read_frame(mallory, deadline)) is not None:
                if frame[0] == OP_CLOSE:
                    ending = close_code(frame[1])
                    break
                assert frame == (0xA, b"hello"), frame
                pongs += 1
        assert ending == (1008, "too many pings: over 10 per second")
        assert 10 < pongs <= 50, pongs
        server.wait_for_log("pings over 10 per second")


def test_a_member_who_reads_slowly_reads_the_1013_when_she_is_cut_off() -> None:
    """Alice posts 16 MB to a group as fast as the server takes it (more than the
    kernel's buffers and the 4 MiB limit together); Mallory reads, but slowly (64 KiB
    every 50 ms). She is cut off with over 4 MiB queued for her, and
    because she keeps reading she reads all of it and then the 1013 close frame,
    though that takes seconds; she is not dropped 2 s after the close was sent."""
    group = "slow readers"
    with (
        testbed.start().process as server,
        TestWebSocket(_url(server), name="Alice") as alice,
        raw_websocket(_url(server), receive_buffer=65536) as mallory,
    ):
        alice.send_json({"type": "CREATE_GROUP", "value": group})
        alice.wait_for_message(f"GROUP_CREATED: {group}")
        send_frame(mallory, json.dumps({"type": "JOIN_GROUP", "value": group}).encode())
        assert read_frame(mallory, time.monotonic() + 5) == (
            OP_TEXT,
            f"GROUP_JOINED: {group}".encode(),
        )
        posts = 16000
        for n in range(posts):
            value = {"groupName": group, "groupMessage": f"{n:05d} {'x' * 1000}"}
            alice.send_json({"type": "MESSAGE_GROUP", "value": value}, timeout=30)
        alice.wait_for_message(f"{posts - 1:05d} {'x' * 1000}", timeout=60)
        server.wait_for_log("cut off")

        read, paced, ending = 0, 0, None
        deadline = time.monotonic() + 60
        while (frame := read_frame(mallory, deadline)) is not None:
            if frame[0] == OP_CLOSE:
                ending = close_code(frame[1])
                break
            read += len(frame[1])
            if read - paced >= 65536:
                paced = read
                time.sleep(0.05)  # the pace of a slow reader, not a wait for anything
        assert ending == (1013, "too slow: over 4 MiB waiting to be sent"), (
            f"Mallory read {read:,} bytes, then {'the end' if ending is None else ending}"
        )


def test_silent_sockets_under_a_low_file_limit_leave_room_for_new_clients() -> None:
    """With 1,100 open files, 1,300 sockets that connect and say nothing: the oldest
    silent handshakes are dropped to make room, with a log line, so /healthz answers
    and Alice connects within a second.

    Before, the server ran out of files: every new client failed and /healthz was
    silent until the open timeout freed some."""
    silent_count = 1300
    assert raise_open_file_limit() > silent_count + 200, "needs more open files"
    low_files = ["bash", "-c", 'ulimit -n 1100 && exec "$0" "$@"']
    silent: list[socket.socket] = []
    with testbed.start("--open-timeout", "30", command_prefix=low_files).process as server:
        url = _url(server)
        host, port = url.removeprefix("ws://").split(":")
        try:
            for _ in range(silent_count):
                silent.append(socket.create_connection((host, int(port)), timeout=10))
            started = time.monotonic()
            with socket.create_connection((host, int(port)), timeout=1) as health:
                health.sendall(b"GET /healthz HTTP/1.1\r\nHost: chat\r\n\r\n")
                assert health.recv(100).startswith(b"HTTP/1.1 200 OK"), "/healthz unanswered"
            with TestWebSocket(url, name="Alice", timeout=1) as alice:
                alice.send_json({"type": "ECHO", "value": "through the crowd"})
                alice.wait_for_message("through the crowd")
            assert time.monotonic() - started < 2, "Alice was kept waiting"
        finally:
            for sock in silent:
                sock.close()
        server.wait_for_log("silent handshake")
        assert any("to make room for new ones" in line for line in server.log_lines())


def test_compression_is_off_unless_asked_for() -> None:
    """A client that offers permessage-deflate gets plain frames by default, and
    compressed ones with --compression deflate."""
    for options, agreed in (((), False), (("--compression", "deflate"), True)):
        with testbed.start(*options).process as server, connect(_url(server)) as client:
            assert bool(client.protocol.extensions) is agreed, options
            client.send(json.dumps({"type": "ECHO", "value": "squeezed"}))
            assert client.recv(timeout=5) == "squeezed"


def test_pings_sent_with_the_handshake_count_toward_the_rate() -> None:
    """Pings in the same segment as the handshake's request are counted like any
    other: 50 of them against --max-rate 10 close the connection with 1008."""
    with testbed.start("--max-rate", "10").process as server:
        host, port = _url(server).removeprefix("ws://").split(":")
        request = (
            f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        with socket.create_connection((host, int(port)), timeout=5) as mallory:
            mallory.sendall(request + client_frame(OP_PING, b"hello") * 50)
            response = b""
            while b"\r\n\r\n" not in response:
                response += mallory.recv(1)
            assert b" 101 " in response.split(b"\r\n", 1)[0], response
            ending = None
            deadline = time.monotonic() + 5
            while (frame := read_frame(mallory, deadline)) is not None:
                if frame[0] == OP_CLOSE:
                    ending = close_code(frame[1])
                    break
        assert ending == (1008, "too many pings: over 10 per second")


def test_answered_plain_http_requests_do_not_linger_as_handshakes() -> None:
    """Health checks that read their answer and close are gone at once: they neither
    hold a file for the closing handshake's 2 s nor count as silent handshakes, so
    with room for one connection, a client right after them is let in, nothing dropped."""
    with testbed.start("--max-connections", "1").process as server:
        host, port = _url(server).removeprefix("ws://").split(":")
        for _ in range(3):
            with socket.create_connection((host, int(port)), timeout=5) as health:
                health.sendall(b"GET /healthz HTTP/1.1\r\nHost: chat\r\n\r\n")
                assert health.recv(100).startswith(b"HTTP/1.1 200 OK")
        with TestWebSocket(_url(server), name="Alice") as alice:
            alice.send_json({"type": "ECHO", "value": "right after"})
            alice.wait_for_message("right after")
        assert server.stop() == 0
    assert not any("silent handshake" in line for line in server.log_lines())
