"""Plain HTTP on the chat's port: every request gets one answer, then the connection closes.

The answers are a table (docs/protocol.md, "Plain HTTP"): the version and the method
(:func:`refuse_version_or_method`), the health check and the access checks
(``ChatServer._check_request``), then websockets' checks of the handshake's headers.
:class:`HTTPConnection` answers what websockets 17 leaves unanswered: it closes without a
word when its parser fails (a body, not HTTP/1.x) or when bytes follow a good request at
once (it reads them as frames and fails). So the head is read first with websockets' own
parser, and whatever follows it waits until the handshake is answered.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import HeaderLineTooLong, RequestLineTooLong, TooManyHeaders
from websockets.http11 import Request, Response
from websockets.protocol import OPEN
from websockets.streams import StreamReader

from server import __version__

HEALTH_PATH = "/healthz"
SERVER_HEADER = f"chat-server/{__version__}"
"""The ``Server`` header of every answer, the handshake's and the health check's too:
what a report names as the server tested (docs/protocol.md, "Plain HTTP")."""
HOLD_LIMIT = 64 * 2**10
"""Bytes after a request's head kept while it waits for its answer; beyond, the
connection stops reading until then (a handshake's answer takes one loop turn)."""

Respond = Callable[[HTTPStatus, str], Response]
"""``connection.respond``: a plain-text response with ``Connection: close``."""


def is_health_check(path: str) -> bool:
    return urlsplit(path).path == HEALTH_PATH


def refuse_version_or_method(
    respond: Respond, method: str, path: str, version: str
) -> Response | None:
    """505 for an HTTP version the path does not speak, then 405 for a method it does
    not answer; None for a request that may go on. The health check answers GET and
    HEAD over HTTP/1.1 and HTTP/1.0 (load balancers' checks are often HTTP/1.0); every
    other path takes only WebSocket handshakes, which are GET over HTTP/1.1."""
    health = is_health_check(path)
    if version != "HTTP/1.1" and not (health and version == "HTTP/1.0"):
        return respond(
            HTTPStatus.HTTP_VERSION_NOT_SUPPORTED,
            f"{version} is not supported: "
            + ("use HTTP/1.1 or HTTP/1.0" if health else "a WebSocket handshake is HTTP/1.1"),
        )
    allowed = ("GET", "HEAD") if health else ("GET",)
    if method in allowed:
        return None
    if health:
        reason = f"the health check answers GET and HEAD, not {method}"
    else:
        reason = f"{method} is not allowed: a WebSocket handshake is a GET"
    response = respond(HTTPStatus.METHOD_NOT_ALLOWED, reason)
    response.headers["Allow"] = ", ".join(allowed)
    return response


def finish(connection: ServerConnection, request: Request, response: Response) -> Response | None:
    """The server's ``process_response``: every answer but the handshake's 101 has a
    one-line body ending in a newline (websockets' 426 has three lines), and none
    when the request was a HEAD."""
    _finish(response, request.method)
    return None


def _finish(response: Response, method: str) -> None:
    if response.status_code == HTTPStatus.SWITCHING_PROTOCOLS:
        return
    line = " ".join(response.body.decode(errors="replace").split()).encode() + b"\n"
    if line != response.body:
        response.body = line
        del response.headers["Content-Length"]
        response.headers["Content-Length"] = str(len(line))
    if method == "HEAD":
        response.body = b""  # Content-Length still says what a GET would get


class RequestHead:
    """A connection's first bytes read with websockets' own request parser: where the
    request's head ends, or why websockets will refuse it."""

    def __init__(self) -> None:
        self._reader = StreamReader()
        self._parser = Request.parse(self._read_line)
        self.request_line = b""

    def feed(self, data: bytes) -> int | None:
        """How many bytes of ``data`` end the head; None while it goes on. Raises what
        websockets' parser raises for a head it cannot parse."""
        self._reader.feed_data(data)
        try:
            next(self._parser)
        except StopIteration:
            return len(data) - len(self._reader.buffer)
        return None

    def _read_line(
        self, limit: int, too_long: type[Exception]
    ) -> Generator[None, None, bytes | bytearray]:
        line = yield from self._reader.read_line(limit, too_long)
        if not self.request_line:
            self.request_line = bytes(line)
        return line


def unparsable(respond: Respond, request_line: bytes, error: Exception) -> Response:
    """The answer to a request websockets cannot parse: 505 or 405 when its request line
    says so (a POST with a body is refused for its method), else 400 with the reason."""
    parts = request_line.rstrip(b"\r\n").split(b" ")
    if len(parts) == 3 and parts[2].startswith(b"HTTP/") and request_line.isascii():
        method, path, version = (part.decode() for part in parts)
        refused = refuse_version_or_method(respond, method, path, version)
        if refused is not None:
            return refused
    reason: BaseException = error
    if isinstance(error, EOFError) and error.__cause__ is not None:
        # RequestHead's reader never ends, so this is a line without CRLF, which the
        # parser reports as the connection closing in the middle of the request
        reason = error.__cause__
    return respond(HTTPStatus.BAD_REQUEST, f"not a valid HTTP/1.1 request: {reason}")


class HTTPConnection(ServerConnection):
    """A server connection that answers every plain HTTP request once (see the module):
    what follows the request's head, and the end of the stream, go on to websockets
    only once :meth:`handshake` has opened the connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head: RequestHead | None = RequestHead()
        self._held: bytearray | None = None
        """What followed the head, until the handshake is answered."""
        self._eof_held = False
        self._paused = False

    def data_received(self, data: bytes) -> None:
        if self._head is not None:
            self._read_head(self._head, data)
        elif (held := self._waiting()) is not None:
            held += data
            if len(held) > HOLD_LIMIT and not self._paused:
                self.transport.pause_reading()
                self._paused = True
        else:
            super().data_received(data)

    def eof_received(self) -> bool | None:  # type: ignore[override]
        # websockets never keeps a half-closed transport open, so it types this None;
        # asyncio lets a protocol do so by returning True, which TLS cannot.
        if self._waiting() is not None and self.transport.can_write_eof():
            self._eof_held = True
            return True
        super().eof_received()
        return None

    async def handshake(self, *args: Any, **kwargs: Any) -> None:
        try:
            await super().handshake(*args, **kwargs)
        finally:
            held, eof, paused = self._held, self._eof_held, self._paused
            self._head, self._held, self._eof_held, self._paused = None, None, False, False
        if self.protocol.state is not OPEN:
            return
        if paused:
            self.transport.resume_reading()  # first: websockets may pause it again below
        if held:
            super().data_received(bytes(held))
        if eof:
            super().eof_received()
            self.transport.close()  # as asyncio does once eof_received returns

    def _waiting(self) -> bytearray | None:
        """What followed the request's head, while it waits for :meth:`handshake`; None
        before and after that, and once the handshake is refused."""
        return None if self.protocol.eof_sent else self._held

    def _read_head(self, head: RequestHead, data: bytes) -> None:
        try:
            end = head.feed(data)
        except (RequestLineTooLong, HeaderLineTooLong, TooManyHeaders):
            self._head = None  # websockets answers these itself (414, 431)
            super().data_received(data)
        except Exception as error:
            self._head = None
            response = unparsable(self.respond, head.request_line, error)
            response.headers["Server"] = SERVER_HEADER
            _finish(response, head.request_line.split(b" ", 1)[0].decode(errors="replace"))
            self.protocol.send_response(response)  # then websockets discards the rest
            self.send_data()
        else:
            if end is None:
                super().data_received(data)
            else:
                self._head, self._held = None, bytearray(data[end:])
                super().data_received(data[:end])
