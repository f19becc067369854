"""Where the chat's state lives: one interface, chosen at start.

:class:`ChatServer <server.app.ChatServer>` moves frames between sockets and a
:class:`Chat`. Two implementations exist: :class:`LocalChat`, the groups of one
process in memory (the default), and :class:`server.cluster.node.RedisChat`, a
node that shares groups with every other node on the same Redis
(``--broker``). Both apply the same rules; the first never waits, the second
waits for the broker wherever the cluster must agree.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, Protocol

from server.commands import Command
from server.rules import ChatRooms, Conn, Delivery

Deliver = Callable[[Iterable[Conn], str], None]
"""Send one text to each of some connections at once (``websockets.broadcast``)."""


class Chat(Protocol[Conn]):
    """The chat's state and fan-out, as the socket layer sees them."""

    async def start(self, deliver: Deliver[Conn]) -> None:
        """Get ready; ``deliver`` sends posts that arrive from elsewhere."""

    async def close(self) -> None:
        """Let go of every member at once; later requests are refused."""

    def connect(self, conn: Conn) -> None:
        """Register a new connection; it starts in no group."""

    async def disconnect(self, conn: Conn) -> None:
        """Forget ``conn``: it leaves its group, which is freed if now empty."""

    def handle(
        self, sender: Conn, command: Command
    ) -> list[Delivery[Conn]] | Awaitable[list[Delivery[Conn]]]:
        """Apply ``command`` and return what this process must send, in order;
        an awaitable if the answer waits (for a cluster's broker)."""
        ...

    def unavailable_reason(self) -> str | None:
        """Why this server should not get new clients now (one line), or None."""


class LocalChat(Generic[Conn]):
    """The groups of this process only, in memory: :class:`ChatRooms` as a :class:`Chat`."""

    def __init__(self, rooms: ChatRooms[Conn] | None = None) -> None:
        self.rooms: ChatRooms[Conn] = rooms if rooms is not None else ChatRooms()

    async def start(self, deliver: Deliver[Conn]) -> None:
        """Nothing arrives from elsewhere, so ``deliver`` is not needed."""

    async def close(self) -> None:
        """Nothing outside this process holds its members."""

    def connect(self, conn: Conn) -> None:
        self.rooms.connect(conn)

    async def disconnect(self, conn: Conn) -> None:
        self.rooms.disconnect(conn)

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        return self.rooms.handle(sender, command)

    def unavailable_reason(self) -> str | None:
        return None
