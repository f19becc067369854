"""The socket layer: adapts the chat (:class:`server.chat.Chat`) to WebSocket connections.

Everything here is about sockets (limits, who may connect, health checks, logging);
requests are read by :mod:`server.wire` and carried out by :class:`server.chat.Chat`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import socket
import ssl
import time
from collections.abc import Awaitable, Iterable, Iterator
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.http11 import Request, Response
from websockets.protocol import State

from server import replies
from server.access import Gate, redact
from server.chat import Chat, Delivery
from server.connection import CLOSE_TIMEOUT, ChatConnection, connection_class, peer_name
from server.http import SERVER_HEADER, finish, is_health_check, refuse_version_or_method
from server.limits import Limits
from server.wire import BadMessage, parse_command

log = logging.getLogger("chat.server")

LISTEN_BACKLOG = 1024
"""Connections the kernel holds before they are accepted: beyond, a burst of clients
waits a second or more for the kernel to retry."""
RESERVED_FILES = 64
"""Open files kept for the server's own use (its log, its broker, its listening socket)."""


class ChatServer:
    """A chat server: its own groups by default (two never share state), or a cluster
    node's, given a ``chat`` on a :class:`~server.cluster.node.Node`."""

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        chat: Chat[ServerConnection] | None = None,
        gate: Gate | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.chat: Chat[ServerConnection] = chat if chat is not None else Chat()
        self.gate = gate or Gate()
        self.tls = tls
        self._server: Server | None = None
        self._cut_off: set[ServerConnection] = set()
        """Connections being closed for reading too slowly; nothing more is queued for them."""
        self._closing: set[asyncio.Task[None]] = set()
        """Work left by connections that went, held so that it runs to its end."""
        self._open_connections = 0
        """Counted here: the library's ``Server.connections`` builds a new set on every
        call, which made accepting N clients cost O(N²)."""
        self._handshakes: dict[ChatConnection, None] = {}
        """Sockets whose handshake is in progress, oldest first."""
        self._dropped_handshakes = DroppedHandshakes()
        self._files = _file_room()
        """Connections and handshakes the open-file limit leaves room for."""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host``:``port`` (0 picks a free port); return the ws:// URL
        (wss:// with TLS)."""
        await self.chat.store.start(self.deliver)
        self._files = _file_room()
        if self._files < self.limits.max_connections:
            log.warning(
                "the open-file limit leaves room for %s, fewer than --max-connections (%d)",
                _count(self._files, "connection"),
                self.limits.max_connections,
            )
        self._server = await serve(
            self._serve_connection,
            host,
            port,
            max_size=self.limits.max_message_size,
            process_request=self._check_request,
            process_response=finish,
            server_header=SERVER_HEADER,
            close_timeout=CLOSE_TIMEOUT,
            open_timeout=self.limits.open_timeout,
            ping_interval=None,  # the server's own keepalive: see _keep_alive
            compression="deflate" if self.limits.compression else None,
            create_connection=connection_class(self, self.limits),
            ssl=self.tls,
            backlog=LISTEN_BACKLOG,
        )
        bound_host, bound_port = self._server.sockets[0].getsockname()[:2]
        return format_url(bound_host, bound_port, tls=self.tls is not None)

    async def stop(self) -> None:
        """Let go of every member (so a cluster frees their groups first), then close
        every client with 1001 (going away), and wait."""
        await self.chat.store.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def deliver(
        self,
        recipients: Iterable[ServerConnection],
        text: str,
        *,
        sender: ChatConnection | None = None,
    ) -> None:
        """Send ``text`` to each recipient at once, cutting off any recipient whose
        unsent messages would go beyond ``max_queued_bytes``; the ``sender``'s own
        replies are exempt, as its requests are not read while they back up."""
        if sender is not None and recipients == (sender,):
            sender.reply(text)  # the commonest case, a reply: nothing to check
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
            else:  # cut() leaves one already cut off or closing alone
                self.cut(connection)

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse a version or method (505, 405), answer health checks, then refuse a bad
        token (401), origin (403), or a full server (503): docs/protocol.md's table."""
        refused = refuse_version_or_method(
            connection.respond, request.method, request.path, request.protocol
        )
        if refused is not None:
            return refused
        if is_health_check(request.path):
            reason = self.chat.store.unavailable_reason()
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
        most = min(self.limits.max_connections, self._files)
        if self._open_connections >= most:
            log.warning(
                "refused connection from %s: server is full (%s)",
                peer_name(connection),
                _count(most, "connection"),
            )
            return connection.respond(
                HTTPStatus.SERVICE_UNAVAILABLE, f"server is full: {_count(most, 'connection')}\n"
            )
        return None

    # What each connection asks of its server (server.connection.Answerer)

    def answer(self, connection: ChatConnection, message: str | bytes) -> Awaitable[None] | None:
        """Answer one request: parsed, by the chat's rules."""
        try:
            command = parse_command(message, max_group_name=self.limits.max_group_name)
        except BadMessage as bad:
            log.warning("rejected message from %s: %s", peer_name(connection), bad.reason)
            self.deliver((connection,), replies.error(bad.reason), sender=connection)
            return None
        answer = self.chat.handle(connection, command)
        if isinstance(answer, list):
            self._send(answer, connection)
            return None
        return self._send_when_ready(answer, connection)

    async def _send_when_ready(
        self, answer: Awaitable[list[Delivery[ServerConnection]]], sender: ChatConnection
    ) -> None:
        self._send(await answer, sender)

    def _send(self, deliveries: list[Delivery[ServerConnection]], sender: ChatConnection) -> None:
        for delivery in deliveries:
            self.deliver(delivery.recipients, delivery.text, sender=sender)

    def cut(self, connection: ServerConnection) -> None:
        """Close a member that reads too slowly: 1013, or its socket dropped once it
        reads nothing for :data:`~server.connection.CLOSE_TIMEOUT`."""
        if connection in self._cut_off or connection.state is not State.OPEN:
            return
        assert isinstance(connection, ChatConnection)
        reason = f"too slow: over {_size(self.limits.max_queued_bytes)} waiting to be sent"
        code = CloseCode.TRY_AGAIN_LATER
        log.warning("cut off %s: %s (code %d)", peer_name(connection), reason, code)
        self._cut_off.add(connection)
        task = asyncio.get_running_loop().create_task(connection.close_or_drop(code, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        task.add_done_callback(lambda _: self._cut_off.discard(connection))

    def handshake_started(self, connection: ChatConnection) -> None:
        """Count the socket; beyond the room for handshakes, drop the oldest
        handshake in progress, so silent sockets never take every file."""
        self._handshakes[connection] = None
        room = min(self.limits.max_connections, self._files - self._open_connections)
        if len(self._handshakes) > room:
            oldest = next(iter(self._handshakes))
            del self._handshakes[oldest]
            oldest.transport.abort()
            self._dropped_handshakes.note(len(self._handshakes), room)

    def handshake_ended(self, connection: ChatConnection) -> None:
        self._handshakes.pop(connection, None)

    def disconnected(self, connection: ChatConnection) -> None:
        self._open_connections -= 1
        leaving = self.chat.store.disconnect(connection)
        if leaving is not None:  # a cluster node tells the broker
            task = asyncio.ensure_future(leaving)
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _serve_connection(self, connection: ServerConnection) -> None:
        assert isinstance(connection, ChatConnection)
        self.handshake_ended(connection)
        peer = peer_name(connection)
        log.info("connection opened %s", peer)
        self._set_receive_buffer(connection)
        self.chat.store.connect(connection)
        self._open_connections += 1  # until disconnected()
        keepalive = None
        if self.limits.ping_interval is not None:
            keepalive = asyncio.get_running_loop().create_task(self._keep_alive(connection, peer))
        try:
            connection.start_answering()
            await connection.wait_closed()
        finally:
            if keepalive is not None:
                keepalive.cancel()
            log.info(
                "connection closed %s (code %s%s)",
                peer,
                connection.close_code,
                f", {connection.close_reason}" if connection.close_reason else "",
            )

    async def _keep_alive(self, connection: ChatConnection, peer: str) -> None:
        """Ping every ``ping_interval``; drop a peer whose pong is not back within
        ``ping_timeout`` of the ping being due. (The library's keepalive starts its
        timeout once the send buffer drains, so a peer that reads nothing never timed out.)"""
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
                await connection.close_or_drop(CloseCode.INTERNAL_ERROR, "keepalive ping timeout")
                return
            except ConnectionClosed:
                return

    def _set_receive_buffer(self, connection: ServerConnection) -> None:
        """Bound one read: the library parses a read's frames in one go, and 256 KiB of
        small frames is 8 ms with nobody else served."""
        if self.limits.receive_buffer is None:
            return
        sock = connection.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.limits.receive_buffer)


class DroppedHandshakes:
    """Logs handshakes dropped to make room: at most one line a second, with how many."""

    def __init__(self) -> None:
        self._since_last_line = 0
        self._quiet_until = 0.0

    def note(self, in_progress: int, room: int) -> None:
        self._since_last_line += 1
        now = time.monotonic()
        if now < self._quiet_until:
            return
        log.warning(
            "dropped %s to make room for new ones: %d handshakes in progress, room "
            "for %d (--max-connections, or the open-file limit)",
            _count(self._since_last_line, "silent handshake"),
            in_progress,
            room,
        )
        self._since_last_line = 0
        self._quiet_until = now + 1.0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _size(n: int) -> str:
    """Bytes as people write them: ``4 MiB``, ``64 KiB``, ``1000 bytes``."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return _count(n, "byte")


def _file_room() -> int:
    """Connections and handshakes the open-file limit leaves room for."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 2**31
    return max(1, soft - RESERVED_FILES)


def format_url(host: str, port: int, *, tls: bool = False) -> str:
    """``ws://host:port`` (``wss://`` with TLS), with brackets around an IPv6 address."""
    scheme = "wss" if tls else "ws"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"
