"""The socket layer: adapts :mod:`server.rules` to WebSocket connections.

Everything here is about sockets (framing, limits, health checks, logging); the
chat rules themselves live in :mod:`server.rules` and :mod:`server.wire`, and the
chat's state behind :class:`server.chat.Chat`: in this process, or shared by a
cluster through Redis.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from server import replies
from server.chat import Chat, LocalChat
from server.rules import ChatRooms
from server.wire import DEFAULT_MAX_GROUP_NAME, BadMessage, parse_command

log = logging.getLogger("chat.server")

HEALTH_PATH = "/healthz"


@dataclass(frozen=True)
class Limits:
    """What one server accepts; every field is a command-line option."""

    max_message_size: int = 2**20
    """Largest message in bytes; a larger one closes the connection with 1009."""
    max_group_name: int = DEFAULT_MAX_GROUP_NAME
    """Longest group name in characters; a longer one gets an error reply."""
    max_connections: int = 10_000
    """Open connections at once; more are refused with HTTP 503."""


class ChatServer:
    """A chat server. By default it has its own groups, and two instances never
    share state; given a cluster ``chat``, it shares them with the other nodes."""

    def __init__(
        self,
        limits: Limits | None = None,
        rooms: ChatRooms[ServerConnection] | None = None,
        *,
        chat: Chat[ServerConnection] | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.chat: Chat[ServerConnection] = chat if chat is not None else LocalChat(rooms)
        self._server: Server | None = None
        self._open_connections = 0
        """Connections whose handler runs; counted here because the library's
        ``Server.connections`` builds a new set on every call, which made
        accepting N clients cost O(N²)."""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host``:``port`` (0 picks a free port); return the ws:// URL."""
        await self.chat.start(broadcast)
        self._server = await serve(
            self._serve_connection,
            host,
            port,
            max_size=self.limits.max_message_size,
            process_request=self._check_request,
            close_timeout=2,
        )
        bound_host, bound_port = self._server.sockets[0].getsockname()[:2]
        return format_url(bound_host, bound_port)

    async def stop(self) -> None:
        """Let go of every member, close every client with 1001 (going away), and wait.

        Members are let go first, so a cluster frees their groups before their
        clients learn that this server is going away.
        """
        await self.chat.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Answer health checks over plain HTTP and refuse clients beyond the limit."""
        if request.path == HEALTH_PATH:
            reason = self.chat.unavailable_reason()
            if reason is not None:
                return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, f"{reason}\n")
            return connection.respond(HTTPStatus.OK, "OK\n")
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
        self.chat.connect(connection)
        self._open_connections += 1
        try:
            async for frame in connection:
                await self._answer(connection, frame, peer)
        except ConnectionClosed:
            pass
        finally:
            self._open_connections -= 1
            await self.chat.disconnect(connection)
            log.info(
                "connection closed %s (code %s%s)",
                peer,
                connection.close_code,
                f", {connection.close_reason}" if connection.close_reason else "",
            )

    async def _answer(self, connection: ServerConnection, frame: str | bytes, peer: str) -> None:
        try:
            command = parse_command(frame, max_group_name=self.limits.max_group_name)
        except BadMessage as bad:
            log.warning("rejected message from %s: %s", peer, bad.reason)
            await connection.send(replies.error(bad.reason))
            return
        for delivery in await self.chat.handle(connection, command):
            broadcast(delivery.recipients, delivery.text)
        # Replies are written at once, like group messages, instead of one awaited
        # send() each (which cost about 10% of echo throughput). The sender still
        # feels backpressure: while its replies sit above the transport's
        # high-water mark, we do not read its next request.
        with contextlib.suppress(Exception):  # the connection is gone; the read loop ends next
            await connection.drain()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def format_url(host: str, port: int) -> str:
    """``ws://host:port``, with brackets around an IPv6 address."""
    return f"ws://[{host}]:{port}" if ":" in host else f"ws://{host}:{port}"


def peer_name(connection: ServerConnection) -> str:
    address = connection.remote_address
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)
