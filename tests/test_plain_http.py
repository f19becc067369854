"""Plain HTTP on the chat's port, on a real server process: every request gets exactly
one answer (a status and a one-line body), at once, and then the connection closes,
whatever follows the request in the same segment."""

from __future__ import annotations

import json
import socket
import ssl
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from websockets.frames import Opcode

from acceptance import testbed
from bench.rawws import text_frame
from tests.security_support import Credentials, read_frame
from tests.support import MS, PROJECT_ROOT
from wsharness import ServerProcess
from wsharness.runtime.loops import uvloop_installed

ANSWER_WITHIN = 5_000 * MS
"""How long a request may wait for its answer and the end of the connection."""
OPEN_TIMEOUT = 4 * ANSWER_WITHIN
"""The server's --open-timeout: far beyond ANSWER_WITHIN, so an answer that only comes
when the server gives up on the handshake fails the test instead of passing late."""

HEALTH = b"GET /healthz HTTP/1.1\r\nHost: chat\r\n\r\n"
HANDSHAKE = (
    b"GET / HTTP/1.1\r\nHost: chat\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
)
"""A WebSocket handshake's head without its closing blank line, to add headers to."""


@dataclass(frozen=True)
class Answer:
    """The one HTTP response a request got, and whatever came after it."""

    status: int
    headers: dict[str, str]
    body: bytes
    after: bytes
    """Bytes after the response, up to the end of the connection: none, if it was the only one."""


@pytest.fixture(scope="module", params=["asyncio", "uvloop"])
def server(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    """The server on each event loop: what a transport does with a half-close or a
    pause differs between them."""
    if request.param == "uvloop" and not uvloop_installed():
        pytest.skip("uvloop is not installed")
    options = ["--open-timeout", f"{OPEN_TIMEOUT:g}", "--event-loop", request.param]
    with testbed.start(*options).process as process:
        yield process


def _address(server: ServerProcess) -> tuple[str, int]:
    assert server.url is not None
    parts = urlsplit(server.url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def ask(
    server: ServerProcess,
    request: bytes,
    *,
    head: bool = False,
    half_close: bool = False,
    context: ssl.SSLContext | None = None,
) -> Answer:
    """Send ``request`` in one write (``half_close``: then end the sending side) and read
    to the end of the connection; fail if that takes longer than ANSWER_WITHIN.
    ``head``: the request is a HEAD, whose answer has no body whatever its length says.
    ``context``: over TLS."""
    host, port = _address(server)
    plain = socket.create_connection((host, port), timeout=ANSWER_WITHIN)
    with context.wrap_socket(plain, server_hostname=host) if context else plain as sock:
        sock.sendall(request)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        deadline = time.monotonic() + ANSWER_WITHIN
        while chunk := _recv(sock, deadline):
            received += chunk
    assert received, f"no answer to {request[:60]!r}: the server closed without a word"
    response_head, _, rest = received.partition(b"\r\n\r\n")
    status_line, *header_lines = response_head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    length = 0 if head else int(headers["Content-Length"])
    return Answer(int(status_line.split(" ")[1]), headers, rest[:length], rest[length:])


def _recv(sock: socket.socket, deadline: float) -> bytes:
    sock.settimeout(max(deadline - time.monotonic(), 0.001))
    try:
        return sock.recv(65536)
    except TimeoutError:
        raise AssertionError(
            f"the connection was still open {ANSWER_WITHIN:g} s after the request"
        ) from None
    except ConnectionResetError:
        return b""


def assert_one_line_answer(answer: Answer, status: int) -> str:
    """``answer`` is ``status`` with a one-line body, and nothing came after it; the line."""
    assert (answer.status, answer.after) == (status, b""), answer
    text = answer.body.decode()
    assert text.endswith("\n") and text.count("\n") == 1, f"not one line: {text!r}"
    assert answer.headers["Connection"] == "close"
    return text


# -- whatever follows a request is ignored -----------------------------------------------


@pytest.mark.parametrize(
    "more",
    [HEALTH, b"garbage", b"\x00\xff" * 8, b"\r\n"],
    ids=["a second request pipelined", "text", "binary", "a stray blank line"],
)
def test_a_health_check_followed_by_more_bytes_is_answered_once(
    server: ServerProcess, more: bytes
) -> None:
    """Bytes after the health check's blank line, in the same segment, change nothing:
    one 200, then the end of the connection."""
    assert assert_one_line_answer(ask(server, HEALTH + more), 200) == "OK\n"


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET / HTTP/1.1\r\nHost: chat\r\n\r\nGET / HTTP/1.1\r\n\r\n", 426),
        (b"POST / HTTP/1.1\r\nHost: chat\r\n\r\nmore", 405),
        (b"GET / HTTP/1.0\r\n\r\nmore", 505),
        (HANDSHAKE.replace(b"13", b"8") + b"\r\nmore", 400),
    ],
    ids=["GET /", "POST /", "HTTP/1.0", "a handshake of the wrong version"],
)
def test_a_refused_request_followed_by_more_bytes_is_answered_once(
    server: ServerProcess, request_bytes: bytes, status: int
) -> None:
    """A refusal too is one answer, whatever follows the request."""
    assert_one_line_answer(ask(server, request_bytes), status)


def test_a_health_check_and_its_end_in_one_go_are_answered(server: ServerProcess) -> None:
    """A client that sends its request and at once ends its side of the connection
    (as ``ncat`` and ``socat`` do at the end of their input) still hears the answer."""
    assert assert_one_line_answer(ask(server, HEALTH, half_close=True), 200) == "OK\n"


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (HEALTH + b"garbage", 200),
        (b"POST / HTTP/1.1\r\nHost: chat\r\nContent-Length: 5\r\n\r\nhello", 405),
    ],
    ids=["more bytes behind a health check", "a body"],
)
def test_over_tls_too_a_request_is_answered_once(
    tmp_path: Path, request_bytes: bytes, status: int
) -> None:
    """TLS ends a connection differently (no half-close); the answers are the same."""
    credentials = Credentials.create(tmp_path)
    with testbed.start(*credentials.tls_options()).process as process:
        answer = ask(process, request_bytes, context=credentials.client_context())
    assert_one_line_answer(answer, status)


def test_after_bytes_behind_a_health_check_the_log_shows_no_error() -> None:
    """The server used to answer too late, fail on its own answer and log a traceback."""
    with testbed.start().process as process:
        mark = process.log_mark()
        assert_one_line_answer(ask(process, HEALTH + b"garbage"), 200)
        process.stop()
        lines = process.log_lines(mark)
    assert not [line for line in lines if "ERROR" in line or "Traceback" in line], lines


def test_frames_in_the_same_segment_as_a_handshake_are_read_after_it(
    server: ServerProcess,
) -> None:
    """What follows a WebSocket handshake is its first frames (here 600 KB of them, more
    than is kept while the handshake is answered, in fewer messages than make websockets
    stop reading): they wait for the handshake's answer, then are read in order."""
    echoes = [f"early {n:02d} {'x' * 50_000}" for n in range(12)]
    frames = b"".join(text_frame(json.dumps({"type": "ECHO", "value": e})) for e in echoes)
    with socket.create_connection(_address(server), timeout=ANSWER_WITHIN) as sock:
        sock.sendall(HANDSHAKE + b"\r\n" + frames)
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(1)  # byte by byte: the frames after it stay unread
        assert received.startswith(b"HTTP/1.1 101 "), received
        deadline = time.monotonic() + ANSWER_WITHIN
        for echo in echoes:
            assert read_frame(sock, deadline) == (Opcode.TEXT, echo.encode())


# -- requests websockets cannot parse ----------------------------------------------------


@pytest.mark.parametrize(
    ("request_bytes", "allow"),
    [
        (b"POST / HTTP/1.1\r\nHost: chat\r\nContent-Length: 5\r\n\r\nhello", "GET"),
        (
            b"PUT /chat HTTP/1.1\r\nHost: chat\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n0\r\n\r\n",
            "GET",
        ),
        (b"POST /healthz HTTP/1.1\r\nHost: chat\r\nContent-Length: 2\r\n\r\n{}", "GET, HEAD"),
        (b"POST / HTTP/1.1\r\nHost: chat\r\nContent-Length: 100\r\n\r\n", "GET"),
    ],
    ids=["a body", "a chunked body", "a body to the health check", "a body still to come"],
)
def test_a_request_with_a_body_is_refused_with_405(
    server: ServerProcess, request_bytes: bytes, allow: str
) -> None:
    """websockets cannot parse a request with a body; it is refused for its method, as
    without one, at once, also while the body is still to come."""
    answer = ask(server, request_bytes)
    text = assert_one_line_answer(answer, 405)
    assert answer.headers["Allow"] == allow
    method = request_bytes.split(b" ", 1)[0].decode()
    assert method in text


@pytest.mark.parametrize(
    ("request_bytes", "status", "reason"),
    [
        (b"GET / HTTP/1.1\r\nHost: chat\r\nContent-Length: 5\r\n\r\nhello", 400, "body"),
        (b"hello\r\n\r\n", 400, "request line"),
        (b"GET / HTTP/1.1\nHost: chat\n\n", 400, "CRLF"),
        (b"GET /\xc3\xa9 HTTP/1.1\r\nHost: chat\r\n\r\n", 400, "ascii"),
        (b"GET / HTTP/1.1\r\nHost chat\r\n\r\n", 400, "header"),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "HTTP/2.0"),
    ],
    ids=[
        "GET with a body",
        "no request line",
        "lines without CR",
        "a path that is not ASCII",
        "a malformed header",
        "HTTP/2",
    ],
)
def test_a_request_that_is_not_http_1_1_is_answered(
    server: ServerProcess, request_bytes: bytes, status: int, reason: str
) -> None:
    """What websockets' parser rejects gets 400 with the parser's reason (505 for
    another HTTP version), instead of a connection closed without a word."""
    assert reason in assert_one_line_answer(ask(server, request_bytes), status)


# -- the table in docs/protocol.md -------------------------------------------------------


@pytest.mark.parametrize(
    ("request_bytes", "status", "text"),
    [
        (b"GET /healthz HTTP/1.0\r\n\r\n", 200, "OK\n"),
        (b"GET /healthz?verbose=1 HTTP/1.1\r\nHost: chat\r\n\r\n", 200, "OK\n"),
        (b"GET / HTTP/1.1\r\nHost: chat\r\n\r\n", 426, "You need a WebSocket client"),
        (b"GET /chat HTTP/1.0\r\n\r\n", 505, "HTTP/1.0"),
        (b"DELETE / HTTP/1.1\r\nHost: chat\r\n\r\n", 405, "DELETE"),
        (b"POST /healthz HTTP/1.1\r\nHost: chat\r\n\r\n", 405, "POST"),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414, "8192"),
        (b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n", 431, "128"),
    ],
    ids=[
        "health over HTTP/1.0",
        "health with a query",
        "GET without an upgrade",
        "HTTP/1.0",
        "DELETE",
        "POST to the health check",
        "a request line too long",
        "too many headers",
    ],
)
def test_each_plain_request_gets_its_status_and_one_line(
    server: ServerProcess, request_bytes: bytes, status: int, text: str
) -> None:
    """The rows of the table in docs/protocol.md that the tests above do not cover."""
    assert text in assert_one_line_answer(ask(server, request_bytes), status)


def test_head_on_the_health_check_is_answered_without_a_body(server: ServerProcess) -> None:
    """An answer to HEAD has no body; its Content-Length is what a GET would get."""
    answer = ask(server, b"HEAD /healthz HTTP/1.1\r\nHost: chat\r\n\r\n", head=True)
    assert (answer.status, answer.after) == (200, b""), answer
    assert answer.headers["Content-Length"] == "3"


def test_a_method_not_allowed_names_the_allowed_ones(server: ServerProcess) -> None:
    """405's Allow header: GET for the WebSocket endpoint, GET and HEAD for the health check."""
    assert ask(server, b"POST / HTTP/1.1\r\n\r\n").headers["Allow"] == "GET"
    assert ask(server, b"PUT /healthz HTTP/1.1\r\n\r\n").headers["Allow"] == "GET, HEAD"
    assert ask(server, b"HEAD / HTTP/1.1\r\n\r\n", head=True).status == 405


def test_every_answer_names_the_server_and_its_version(server: ServerProcess) -> None:
    """``Server: chat-server/VERSION``, the project's version, on the handshake's 101, the
    health check, a refusal and an answer to what is not HTTP: what a report names as the
    server tested."""
    version = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    expected = f"chat-server/{version['version']}"
    for request in (
        HEALTH,
        HANDSHAKE + b"\r\n",
        b"GET / HTTP/1.1\r\nHost: chat\r\n\r\n",
        b"hello\r\n\r\n",
    ):
        host, port = _address(server)
        with socket.create_connection((host, port), timeout=ANSWER_WITHIN) as sock:
            sock.sendall(request)
            head = b""
            deadline = time.monotonic() + ANSWER_WITHIN
            while b"\r\n\r\n" not in head and (chunk := _recv(sock, deadline)):
                head += chunk
        headers = head.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")[1:]
        assert f"Server: {expected}" in headers, (request[:40], headers)
