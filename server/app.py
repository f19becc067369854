"""The socket layer: adapts :mod:`server.rules` to WebSocket connections.

Everything here is about sockets (framing, limits, fairness, who may connect,
health checks, logging); the chat rules themselves live in :mod:`server.rules`
and :mod:`server.wire`, and the chat's state behind :class:`server.chat.Chat`:
in this process, or shared by a cluster through Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State

from server import replies
from server.access import Gate, redact
from server.chat import Chat, LocalChat
from server.http import HTTPConnection, finish, is_health_check, refuse_version_or_method
from server.rate import RequestRate
from server.rules import ChatRooms
from server.wire import DEFAULT_MAX_GROUP_NAME, BadMessage, parse_command

log = logging.getLogger("chat.server")

LISTEN_BACKLOG = 1024
"""Connections the kernel may hold for the server before it accepts them: a burst of
more (thousands of sockets opened at once) makes the next clients wait a second or
more for the kernel to retry."""
CLOSE_TIMEOUT = 2.0
"""Seconds a client may take to answer our close frame before its socket is dropped."""
TRY_AGAIN_LATER = 1013
"""The close code for a member cut off for reading too slowly."""
INTERNAL_ERROR = 1011
"""The close code for a peer that stopped answering pings, as the library sends it."""
TURN = 0.0002
"""Seconds one connection's requests may run back to back before the others get a
turn: without it, a client that pipelines requests has every request already read
answered before anyone else's."""


@dataclass(frozen=True)
class Limits:
    """What one server accepts; every field is a command-line option."""

    max_message_size: int = 2**20
    """Largest message in bytes; a larger one closes the connection with 1009."""
    max_group_name: int = DEFAULT_MAX_GROUP_NAME
    """Longest group name in characters; a longer one gets an error reply."""
    max_connections: int = 10_000
    """Open connections at once; more are refused with HTTP 503."""
    max_queued_bytes: int = 4 * 2**20
    """Bytes of messages from others waiting to be sent to one connection; one that
    would go beyond is cut off with 1013. At least ``max_message_size``."""
    max_rate: float | None = None
    """Requests per second one connection may send (bursts of as many); beyond it a
    request gets an error reply instead of an answer. None: no limit."""
    receive_buffer: int | None = 64 * 2**10
    """Each connection's kernel receive buffer (SO_RCVBUF) in bytes, which bounds how
    much one read hands over at once; None leaves the system's autotuning."""
    open_timeout: float = 10.0
    """Seconds a client has to complete the TLS and WebSocket handshakes."""
    ping_interval: float | None = 20.0
    """Seconds between keepalive pings; None sends none."""
    ping_timeout: float | None = 20.0
    """Seconds a ping may go unanswered before the connection is dropped; None: forever."""

    def __post_init__(self) -> None:
        if self.max_queued_bytes < self.max_message_size:
            raise ValueError(
                f"max_queued_bytes ({self.max_queued_bytes}) must be at least "
                f"max_message_size ({self.max_message_size}), or one large message "
                "would cut its recipients off"
            )


class ChatServer:
    """A chat server. By default it has its own groups, and two instances never
    share state; given a cluster ``chat``, it shares them with the other nodes."""

    def __init__(
        self,
        limits: Limits | None = None,
        rooms: ChatRooms[ServerConnection] | None = None,
        *,
        chat: Chat[ServerConnection] | None = None,
        gate: Gate | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.chat: Chat[ServerConnection] = chat if chat is not None else LocalChat(rooms)
        self.gate = gate or Gate()
        self.tls = tls
        self._server: Server | None = None
        self._cut_off: set[ServerConnection] = set()
        """Connections being closed for reading too slowly; nothing more is queued for them."""
        self._closing: set[asyncio.Task[None]] = set()
        self._open_connections = 0
        """Connections whose handler runs; counted here because the library's
        ``Server.connections`` builds a new set on every call, which made
        accepting N clients cost O(N²)."""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host``:``port`` (0 picks a free port); return the ws:// URL
        (wss:// with TLS)."""
        await self.chat.start(self.deliver)
        self._server = await serve(
            self._serve_connection,
            host,
            port,
            max_size=self.limits.max_message_size,
            process_request=self._check_request,
            process_response=finish,
            create_connection=HTTPConnection,
            close_timeout=CLOSE_TIMEOUT,
            open_timeout=self.limits.open_timeout,
            ping_interval=None,  # the server's own keepalive: see _keep_alive
            ssl=self.tls,
            backlog=LISTEN_BACKLOG,
        )
        bound_host, bound_port = self._server.sockets[0].getsockname()[:2]
        return format_url(bound_host, bound_port, tls=self.tls is not None)

    async def stop(self) -> None:
        """Let go of every member, close every client with 1001 (going away), and wait.

        Members are let go first, so a cluster frees their groups before their
        clients learn that this server is going away.
        """
        await self.chat.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def deliver(
        self,
        recipients: Iterable[ServerConnection],
        text: str,
        *,
        sender: ServerConnection | None = None,
    ) -> None:
        """Send ``text`` to each recipient at once, cutting off any recipient whose
        unsent messages would go beyond ``max_queued_bytes``.

        The ``sender``'s own replies are exempt: while they back up, the server stops
        reading its requests instead (see :meth:`_answer`).
        """
        if sender is not None and recipients == (sender,):
            broadcast(recipients, text)  # the commonest case, a reply: nothing to check
            return
        data = text.encode()
        room = self.limits.max_queued_bytes - len(data)
        broadcast(self._keeping_up(recipients, room, sender), data, text=True)

    def _keeping_up(
        self,
        recipients: Iterable[ServerConnection],
        room: int,
        sender: ServerConnection | None,
    ) -> Iterator[ServerConnection]:
        for connection in recipients:
            if connection is sender or connection.transport.get_write_buffer_size() <= room:
                yield connection
            elif connection.state is State.OPEN and connection not in self._cut_off:
                self._cut(connection)

    def _cut(self, connection: ServerConnection) -> None:
        """Close a member that reads too slowly: 1013, or its socket dropped if it
        does not even read the close frame within :data:`CLOSE_TIMEOUT`."""
        reason = f"too slow: over {_size(self.limits.max_queued_bytes)} waiting to be sent"
        log.warning("cut off %s: %s (code %d)", peer_name(connection), reason, TRY_AGAIN_LATER)
        self._cut_off.add(connection)
        task = asyncio.get_running_loop().create_task(
            _close_or_drop(connection, TRY_AGAIN_LATER, reason)
        )
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        task.add_done_callback(lambda _: self._cut_off.discard(connection))

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse an HTTP version or a method the path does not take (505, 405), answer
        health checks, then refuse clients without a valid token (401), from an origin
        not allowed (403), or beyond the limit (503). websockets then checks the
        handshake's headers (426, 400); docs/protocol.md has the whole table."""
        refused = refuse_version_or_method(
            connection.respond, request.method, request.path, request.protocol
        )
        if refused is not None:
            return refused
        if is_health_check(request.path):
            reason = self.chat.unavailable_reason()
            if reason is not None:
                return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, f"{reason}\n")
            return connection.respond(HTTPStatus.OK, "OK\n")
        refusal = self.gate.check(request.path, request.headers)
        if refusal is not None:
            log.warning(  # the path last: a redacted token runs to the end of the line
                "refused connection from %s: %s (HTTP %d); path %s",
                peer_name(connection),
                refusal.reason,
                refusal.status,
                redact(request.path)[:200],
            )
            response = connection.respond(refusal.status, refusal.body)
            if refusal.challenge is not None:
                response.headers["WWW-Authenticate"] = refusal.challenge
            return response
        if self._open_connections >= self.limits.max_connections:
            log.warning(
                "refused connection from %s: server is full (%s)",
                peer_name(connection),
                _count(self.limits.max_connections, "connection"),
            )
            return connection.respond(
                HTTPStatus.SERVICE_UNAVAILABLE,
                f"server is full: {_count(self.limits.max_connections, 'connection')}\n",
            )
        return None

    async def _serve_connection(self, connection: ServerConnection) -> None:
        peer = peer_name(connection)
        log.info("connection opened %s", peer)
        self._set_receive_buffer(connection)
        self.chat.connect(connection)
        self._open_connections += 1
        rate = RequestRate(self.limits.max_rate) if self.limits.max_rate else None
        over_rate = False
        turn = Turn(asyncio.get_running_loop())
        keepalive = None
        if self.limits.ping_interval is not None:
            keepalive = asyncio.get_running_loop().create_task(self._keep_alive(connection, peer))
        try:
            async for frame in connection:
                if rate is None or rate.allow():
                    over_rate = False
                    await self._answer(connection, frame, peer)
                else:
                    if not over_rate:  # one log line per run of refused requests
                        log.warning(
                            "refusing requests from %s: over %g per second", peer, rate.rate
                        )
                        over_rate = True
                    await self._refuse_over_rate(connection, rate)
                if turn.is_over():
                    await asyncio.sleep(0)  # a scheduling yield: let the others have a turn
        except ConnectionClosed:
            pass
        finally:
            if keepalive is not None:
                keepalive.cancel()
            self._open_connections -= 1
            await self.chat.disconnect(connection)
            log.info(
                "connection closed %s (code %s%s)",
                peer,
                connection.close_code,
                f", {connection.close_reason}" if connection.close_reason else "",
            )

    async def _keep_alive(self, connection: ServerConnection, peer: str) -> None:
        """Ping every ``ping_interval``; drop a peer whose pong is not back within
        ``ping_timeout`` of the ping being due.

        The library's own keepalive starts its timeout only once the ping has been
        written through a drained send buffer, so a peer that reads nothing, whose
        buffer never drains, was never timed out; here that wait counts too.
        """
        interval, timeout = self.limits.ping_interval, self.limits.ping_timeout
        assert interval is not None
        while True:
            await asyncio.sleep(interval)
            try:
                async with asyncio.timeout(timeout):
                    pong = await connection.ping()
                    await pong
            except TimeoutError:
                log.info("no answer to a ping from %s within %g s: dropping it", peer, timeout)
                await _close_or_drop(connection, INTERNAL_ERROR, "keepalive ping timeout")
                return
            except ConnectionClosed:
                return

    async def _answer(self, connection: ServerConnection, frame: str | bytes, peer: str) -> None:
        try:
            command = parse_command(frame, max_group_name=self.limits.max_group_name)
        except BadMessage as bad:
            log.warning("rejected message from %s: %s", peer, bad.reason)
            await connection.send(replies.error(bad.reason))
            return
        for delivery in await self.chat.handle(connection, command):
            self.deliver(delivery.recipients, delivery.text, sender=connection)
        # Replies are written at once, like group messages, instead of one awaited
        # send() each (which cost about 10% of echo throughput). The sender still
        # feels backpressure: while its replies sit above the transport's
        # high-water mark, we do not read its next request.
        await _drain(connection)

    async def _refuse_over_rate(self, connection: ServerConnection, rate: RequestRate) -> None:
        self.deliver((connection,), replies.too_many_requests(rate.rate), sender=connection)
        await _drain(connection)

    def _set_receive_buffer(self, connection: ServerConnection) -> None:
        """Bound one read: the library parses every frame of a read in one go, and
        256 KiB of small frames (the most one read takes) is 8 ms with nobody else
        served."""
        if self.limits.receive_buffer is None:
            return
        sock = connection.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.limits.receive_buffer)


class Turn:
    """How long one connection's requests have run back to back, that is since the
    event loop last got control: a frame already read is returned without yielding,
    so a connection whose client pipelines requests never yields by itself."""

    __slots__ = ("_loop", "_started")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._started = 0.0

    def is_over(self) -> bool:
        """Call after each request; True once the turn has lasted :data:`TURN`."""
        now = time.monotonic()
        if not self._started:
            self._started = now
            self._loop.call_soon(self._end)  # runs once the loop has control again
            return False
        return now - self._started >= TURN

    def _end(self) -> None:
        self._started = 0.0


async def _drain(connection: ServerConnection) -> None:
    """Wait while what was written to ``connection`` is above its high-water mark."""
    with contextlib.suppress(Exception):  # the connection is gone; the read loop ends next
        await connection.drain()


async def _close_or_drop(connection: ServerConnection, code: int, reason: str) -> None:
    """Close with ``code``; drop the socket if the closing handshake takes too long
    (the close frame waits behind everything unsent, and the library's close waits
    for the send buffer to drain with no time limit)."""
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await connection.close(code, reason)
    except TimeoutError:
        connection.transport.abort()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _size(n: int) -> str:
    """Bytes as people write them: ``4 MiB``, ``64 KiB``, ``1000 bytes``."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return _count(n, "byte")


def format_url(host: str, port: int, *, tls: bool = False) -> str:
    """``ws://host:port`` (``wss://`` with TLS), with brackets around an IPv6 address."""
    scheme = "wss" if tls else "ws"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def peer_name(connection: ServerConnection) -> str:
    address = connection.remote_address
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)
