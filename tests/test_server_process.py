"""``python -m server`` as a real process: its URL, health check, limits, logs, shutdown."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Close, Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from acceptance import testbed
from tests.security_support import close_code, raw_websocket, read_frame
from tests.support import MS, PROJECT_ROOT, run_python
from wsharness import ConnectionFailed, ServerProcess, TestWebSocket

WATCHING_STDIN = [sys.executable, "-m", "server", "--port", "0", "--stop-on-stdin-eof"]
"""The server run by hand, to see what it does with its stdin."""


@pytest.fixture
def server() -> Iterator[ServerProcess]:
    with testbed.start().process as process:
        yield process


def _http_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def test_prints_its_url_first_and_serves_on_it(server: ServerProcess) -> None:
    """With --port 0 the first stdout line is the ws:// URL of a free port."""
    assert server.url is not None and server.url.startswith("ws://127.0.0.1:")
    with TestWebSocket(server.url, name="Alice") as alice:
        alice.send_json({"type": "ECHO", "value": "up"})
        alice.wait_for_message("up")


def test_health_check_answers_plain_http(server: ServerProcess) -> None:
    """GET /healthz answers 200 on the WebSocket port, without a WebSocket handshake."""
    assert server.url is not None
    host, port = _http_address(server.url)
    with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5000 * MS) as response:
        assert response.status == 200
        assert response.read() == b"OK\n"


def test_other_plain_http_requests_are_refused(server: ServerProcess) -> None:
    """A plain GET elsewhere is not a WebSocket handshake: 426 Upgrade Required."""
    assert server.url is not None
    connection = http.client.HTTPConnection(*_http_address(server.url), timeout=5000 * MS)
    connection.request("GET", "/")
    assert connection.getresponse().status == 426
    connection.close()


def test_sigterm_closes_clients_with_1001_and_exits_0() -> None:
    """Graceful shutdown: every client gets 1001 (going away) and the exit status is 0."""
    process = testbed.start().process
    assert process.url is not None
    url = process.url
    clients = [TestWebSocket(url, name=name) for name in ("Alice", "Bob")]
    for client in clients:
        client.wait_until("open")
    assert process.stop() == 0
    for client in clients:
        client.wait_until("close")
        assert client.close_code == 1001
    assert process.log_lines()[-1].endswith("INFO stopped")


def test_sigterm_straight_after_the_url_still_exits_0() -> None:
    """The signal handlers are in place before the URL is printed."""
    for _ in range(5):
        process = testbed.start().process
        assert process.stop() == 0


def test_sigint_also_shuts_down_cleanly() -> None:
    """Ctrl-C (SIGINT) is as graceful as SIGTERM."""
    process = testbed.start().process
    assert process.url is not None
    url = process.url
    with TestWebSocket(url, name="Alice") as alice:
        alice.wait_until("open")
        assert process.stop(signum=signal.SIGINT) == 0
        alice.wait_until("close")
        assert alice.close_code == 1001


def test_the_end_of_stdin_stops_the_server_when_asked() -> None:
    """--stop-on-stdin-eof: when the process that started the server ends, however it ends,
    its end of the stdin pipe closes, and the server shuts down as on SIGTERM."""
    with subprocess.Popen(
        WATCHING_STDIN,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    ) as server:
        assert server.stdin and server.stdout and server.stderr
        try:
            url = server.stdout.readline().strip()
            with TestWebSocket(url, name="Alice") as alice:
                alice.wait_until("open")
                server.stdin.close()
                alice.wait_until("close")
                assert alice.close_code == 1001
            assert server.wait(10) == 0
        finally:
            server.kill()
        assert "INFO shutting down on end of stdin" in server.stderr.read()


def test_watching_stdin_needs_a_pipe() -> None:
    """--stop-on-stdin-eof with stdin that is no parent's pipe: one line, status 2."""
    result = subprocess.run(
        WATCHING_STDIN,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "server: --stop-on-stdin-eof needs stdin to be a pipe from the process that starts "
        "the server\n"
    )


def test_connections_beyond_the_limit_are_refused_with_503() -> None:
    """--max-connections 2: the third client gets HTTP 503 with a reason."""
    with testbed.start("--max-connections", "2").process as server:
        assert server.url is not None
        first, second = TestWebSocket(server.url, name="A"), TestWebSocket(server.url, name="B")
        first.wait_until("open")
        second.wait_until("open")
        third = TestWebSocket(server.url, name="Carol")
        with pytest.raises(ConnectionFailed, match=r"HTTP 503 \(server is full: 2 connections\)"):
            third.wait_until("open")
        first.close()
        second.close()


def test_messages_over_the_size_limit_close_with_1009() -> None:
    """--max-message-size: a larger message closes that connection with 1009 only."""
    with testbed.start("--max-message-size", "1000").process as server:
        assert server.url is not None
        with (
            TestWebSocket(server.url, name="Bob") as bob,
            TestWebSocket(server.url, name="Mallory") as mallory,
        ):
            mallory.send("x" * 1001)
            mallory.wait_until("close")
            assert mallory.close_code == 1009
            bob.send_json({"type": "ECHO", "value": "still here"})
            bob.wait_for_message("still here")


def _echo_in_fragments(count: int) -> tuple[bytes, bytes]:
    """An ECHO request of ``count`` bytes sent as ``count`` one-byte fragments: the
    frames, and the value the echo sends back."""
    value = "x" * (count - len(json.dumps({"type": "ECHO", "value": ""})))
    data = json.dumps({"type": "ECHO", "value": value}).encode()
    frames = b"".join(
        Frame(
            Opcode.TEXT if n == 0 else Opcode.CONT, data[n : n + 1], fin=n == count - 1
        ).serialize(mask=True, extensions=[])
        for n in range(count)
    )
    return frames, value.encode()


def test_a_message_in_more_than_4096_fragments_closes_with_1009(server: ServerProcess) -> None:
    """websockets joins at most 4,096 frames into one message, whatever their size: a
    4 KB message in 4,096 fragments is echoed, one in 4,097 closes with 1009."""
    assert server.url is not None
    frames, value = _echo_in_fragments(4096)
    with raw_websocket(server.url) as alice:
        alice.sendall(frames)
        assert read_frame(alice, time.monotonic() + 5_000 * MS) == (Opcode.TEXT, value)
    frames, _ = _echo_in_fragments(4097)
    with raw_websocket(server.url) as mallory:
        mallory.sendall(frames)
        ending = read_frame(mallory, time.monotonic() + 5_000 * MS)
    assert ending is not None and ending[0] == Opcode.CLOSE, ending
    assert close_code(ending[1]) == (1009, "too many fragments")


def test_invalid_utf8_closes_with_1007() -> None:
    """A text frame that is not UTF-8 closes the connection with 1007."""
    with testbed.start().process as server:
        assert server.url is not None
        mallory = TestWebSocket(server.url, name="Mallory")
        mallory.send(b"\xff\xfe", text=True)
        mallory.wait_until("close")
        assert mallory.close_code == 1007


def test_logs_one_line_per_connection_and_per_rejected_message(server: ServerProcess) -> None:
    """Opened, rejected and closed each log one line naming the client's address."""
    assert server.url is not None
    mark = server.log_mark()
    with TestWebSocket(server.url, name="Alice") as alice:
        alice.send("not json")
        alice.wait_for_match(lambda data: str(data).startswith("ERROR: "))
    server.stop()
    lines = server.log_lines(mark)
    opened = [line for line in lines if "connection opened 127.0.0.1:" in line]
    rejected = [line for line in lines if "rejected message from 127.0.0.1:" in line]
    closed = [line for line in lines if "connection closed 127.0.0.1:" in line]
    assert (len(opened), len(rejected), len(closed)) == (1, 1, 1), lines
    assert "message is not valid JSON" in rejected[0]


def test_log_level_warning_hides_connection_lines() -> None:
    """--log-level warning keeps rejected messages but drops open/close lines."""
    with testbed.start("--log-level", "warning").process as server:
        assert server.url is not None
        with TestWebSocket(server.url, name="Alice") as alice:
            alice.send("{")
            alice.wait_for_message_count(1)
        server.stop()
        lines = server.log_lines()
        assert any("rejected message" in line for line in lines)
        assert not any("connection opened" in line for line in lines)


def test_a_port_in_use_is_one_clear_line_and_exit_1(server: ServerProcess) -> None:
    """Starting on a taken port fails with a one-line reason, not a traceback."""
    assert server.url is not None
    _, port = _http_address(server.url)
    result = run_python("-m", "server", "--port", str(port), timeout=30)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"server: cannot listen on 127.0.0.1:{port}:")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("option", "value", "complaint"),
    [
        ("--max-connections", "0", "must be a positive number, not 0"),
        ("--port", "99999", "must be from 0 to 65535, not 99999"),
        ("--port", "-1", "must be from 0 to 65535, not -1"),
        ("--port", "http", "must be from 0 to 65535, not http"),
        ("--max-message-size", "lots", "must be a positive number, not lots"),
    ],
)
def test_bad_options_are_refused_by_the_command_line(
    option: str, value: str, complaint: str
) -> None:
    """Limits must be positive numbers and ports real ports: usage error, no traceback."""
    result = run_python("-m", "server", option, value, timeout=30)
    assert result.returncode == 2
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr


def test_the_group_name_limit_is_set_on_the_command_line() -> None:
    """--max-group-name 5: five characters are fine, six are refused with the limit named."""
    with testbed.start("--max-group-name", "5").process as server:
        assert server.url is not None
        with TestWebSocket(server.url, name="Alice") as alice:
            alice.send_json({"type": "CREATE_GROUP", "value": "abcde"})
            alice.wait_for_message("GROUP_CREATED: abcde")
            alice.send_json({"type": "CREATE_GROUP", "value": "abcdef"})
            alice.wait_for_message("ERROR: group name is longer than 5 characters")


def test_a_client_that_never_reads_is_held_back_not_buffered(server: ServerProcess) -> None:
    """Backpressure: a client that sends echo requests but never reads its replies
    stops being read once its replies back up, while others chat on."""
    from websockets.sync.client import connect

    assert server.url is not None
    request = json.dumps({"type": "ECHO", "value": "x" * 1000})
    total = 20_000  # about 20 MB of replies if the server buffered them all
    sent = 0
    with connect(server.url, max_queue=1, compression=None) as flooder:

        def flood() -> None:
            nonlocal sent
            with contextlib.suppress(Exception):  # the connection closes at the end
                for _ in range(total):
                    flooder.send(request)
                    sent += 1

        sender = threading.Thread(target=flood, daemon=True)
        sender.start()
        # The deliberate window: if the server kept reading, 20 MB would pass in it.
        sender.join(timeout=3000 * MS)
        assert sender.is_alive(), f"the server read all {total} requests without backpressure"
        assert sent < total
        with TestWebSocket(server.url, name="Bob") as bob:
            bob.send_json({"type": "ECHO", "value": "still served"})
            bob.wait_for_message("still served")
        flooder.socket.shutdown(socket.SHUT_RDWR)


class _SilentClient:
    """A raw WebSocket client that opens its connection and then never answers,
    not even the server's close frame, as a hung or hostile client would."""

    def __init__(self, url: str) -> None:
        self.protocol = ClientProtocol(parse_uri(url))
        self.socket = socket.create_connection(_http_address(url), timeout=5)
        self.protocol.send_request(self.protocol.connect())
        self.socket.sendall(b"".join(self.protocol.data_to_send()))
        while self.protocol.state is State.CONNECTING:
            self._read()
        assert self.protocol.state is State.OPEN, self.protocol.handshake_exc

    def __enter__(self) -> _SilentClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.socket.close()

    def wait_for_close_frame(self) -> Close:
        """Read until the server's close frame arrives, and do not answer it."""
        while self.protocol.close_rcvd is None:
            self._read()
        return self.protocol.close_rcvd

    def _read(self) -> None:
        data = self.socket.recv(65536)
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
            assert self.protocol.close_rcvd is not None, "the server closed without a close frame"


def test_sigterm_stops_accepting_new_connections_at_once() -> None:
    """While shutdown waits for a client that does not answer its close frame, a
    new client is refused: the server stops listening before it closes clients."""
    process = testbed.start().process
    url = process.url
    assert url is not None
    assert process.pid is not None
    with _SilentClient(url) as holdout:
        os.kill(process.pid, signal.SIGTERM)
        assert holdout.wait_for_close_frame().code == 1001
        latecomer = TestWebSocket(url, name="Latecomer")
        with pytest.raises(ConnectionFailed, match="refused"):
            latecomer.wait_until("open")
    assert process.stop() == 0


STOPPED_THEN_SIGNALLED_AGAIN = """
import asyncio, os, signal
from wsharness.runtime.signals import watch_for_stop

async def serve() -> None:
    stopped = watch_for_stop()
    os.kill(os.getpid(), signal.SIGTERM)
    print(await stopped, flush=True)

asyncio.run(serve())
os.kill(os.getpid(), signal.SIGTERM)
os.kill(os.getpid(), signal.SIGINT)
print("exited on its own", flush=True)
"""
"""A server's life in brief: stopped by SIGTERM, then signalled again after its
loop has closed, where a supervisor's second SIGTERM can land while it exits."""


def test_signals_after_the_stop_change_nothing_even_once_the_loop_has_closed() -> None:
    """Closing the loop puts back SIGTERM's default action; a second SIGTERM sent
    while the server finishes exiting must not turn exit status 0 into death by signal."""
    run = run_python("-c", STOPPED_THEN_SIGNALLED_AGAIN)
    assert run.returncode == 0, f"exit status {run.returncode}: {run.stderr}"
    assert run.stdout.split("\n")[:2] == ["SIGTERM", "exited on its own"]


def test_a_second_sigterm_while_stopping_changes_nothing() -> None:
    """While shutdown waits for a client that does not answer its close frame, a
    second SIGTERM neither hurries nor breaks it: the server still exits with 0."""
    process = testbed.start().process
    assert process.url is not None and process.pid is not None
    with _SilentClient(process.url) as holdout:
        os.kill(process.pid, signal.SIGTERM)
        holdout.wait_for_close_frame()
        os.kill(process.pid, signal.SIGTERM)
    assert process.stop() == 0


def test_a_client_that_ignores_the_close_is_dropped_after_2_s() -> None:
    """Shutdown waits 2 s for a client to answer the close frame, then drops it
    and exits with status 0: one hung client cannot keep the server up."""
    process = testbed.start().process
    url = process.url
    assert url is not None
    assert process.pid is not None
    with _SilentClient(url) as holdout:
        signalled = time.monotonic()
        os.kill(process.pid, signal.SIGTERM)
        holdout.wait_for_close_frame()
        assert process.stop(timeout=4) == 0
        took = time.monotonic() - signalled
    assert 1.5 < took < 4, f"the server exited {took:.2f} s after SIGTERM"


def test_a_closed_connection_is_logged_with_its_close_code(server: ServerProcess) -> None:
    """The "connection closed" line names the close code: 1000 for a client that said goodbye."""
    assert server.url is not None
    mark = server.log_mark()
    with TestWebSocket(server.url, name="Alice") as alice:
        alice.wait_until("open")
    server.stop()
    closed = [line for line in server.log_lines(mark) if "connection closed 127.0.0.1:" in line]
    assert len(closed) == 1 and closed[0].endswith("(code 1000)"), closed


def test_log_level_warning_keeps_refused_connections() -> None:
    """--log-level warning still logs a client refused because the server is full."""
    with testbed.start("--log-level", "warning", "--max-connections", "1").process as server:
        assert server.url is not None
        with TestWebSocket(server.url, name="Alice") as alice:
            alice.wait_until("open")
            bob = TestWebSocket(server.url, name="Bob")
            with pytest.raises(ConnectionFailed, match="HTTP 503"):
                bob.wait_until("open")
        server.stop()
        refused = [line for line in server.log_lines() if "refused connection from" in line]
    assert len(refused) == 1 and "server is full (1 connection)" in refused[0], refused
