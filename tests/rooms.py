"""The chat of one process, with every group and connection in view, for tests.

:class:`Rooms` is the server's own :class:`~server.chat.Chat` on a
:class:`~server.chat.MemoryStore`: the rules' unit tests drive it directly, and
the deliberately broken servers (:mod:`tests.servers.broken`) each change one
thing it does.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TypeVar

from server.chat import Chat, Command, Delivery, MemoryStore

Conn = TypeVar("Conn", bound=Hashable)


class Rooms(Chat[Conn]):
    """The chat of one process as a test sees it: its answers are known at once, and
    every group and connection is in view."""

    store: Memory[Conn]

    def __init__(self) -> None:
        super().__init__(Memory(self))

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        deliveries = super().handle(sender, command)
        assert isinstance(deliveries, list), "a store in memory answers at once"
        return deliveries

    def connect(self, conn: Conn) -> None:
        self.store.connect(conn)

    def disconnect(self, conn: Conn) -> None:
        """What the server's disconnecting ``conn`` does (faults may change it)."""
        self.store.forget(conn)

    def connections(self) -> frozenset[Conn]:
        return frozenset(self.store.connected)

    def group_of(self, conn: Conn) -> str | None:
        group = self.store.local.group_of(conn)
        return group.key if group is not None else None

    def members(self, key: str) -> frozenset[Conn]:
        return frozenset(self.store.local.members(key))

    def groups(self) -> frozenset[str]:
        return self.store.local.groups()


class Memory(MemoryStore[Conn]):
    """The server's own store, which hands disconnections to :meth:`Rooms.disconnect`."""

    def __init__(self, rooms: Rooms[Conn]) -> None:
        super().__init__()
        self.rooms = rooms

    def disconnect(self, conn: Conn) -> None:
        self.rooms.disconnect(conn)

    def forget(self, conn: Conn) -> None:
        self.connected.discard(conn)
        self.local.remove(conn)
