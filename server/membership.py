"""Which connections are in which group: the bookkeeping, written once.

Pure Python with no I/O. :class:`server.rules.ChatRooms` keeps one server's
groups in it. A cluster node keeps only its own members in one (the cluster's
view of a group is in Redis), to deliver posts to them and to register them
again when the broker has forgotten them; :attr:`Membership.version` changes
with every move, so a node can tell whether its members changed while it was
registering them.
"""

from __future__ import annotations

from collections.abc import Hashable, Set
from typing import Generic, TypeVar

Conn = TypeVar("Conn", bound=Hashable)


class Membership(Generic[Conn]):
    """Groups and their members; a connection is in at most one, and a group lives
    while it has members."""

    def __init__(self) -> None:
        self._members: dict[str, set[Conn]] = {}
        self._group_of: dict[Conn, str] = {}
        self.version = 0
        """Incremented by every change of membership."""

    def group_of(self, conn: Conn) -> str | None:
        """The group ``conn`` is in, or None."""
        return self._group_of.get(conn)

    def exists(self, name: str) -> bool:
        """True if ``name`` has members."""
        return name in self._members

    def members(self, name: str) -> Set[Conn]:
        """The members of ``name`` (a live view: copy it to keep it)."""
        members = self._members.get(name)
        return members if members is not None else frozenset()

    def groups(self) -> frozenset[str]:
        """The groups that have members."""
        return frozenset(self._members)

    def held(self) -> dict[Conn, str]:
        """Every member and its group."""
        return dict(self._group_of)

    def move(self, conn: Conn, name: str) -> str | None:
        """Put ``conn`` in ``name``; return the group it left, if any."""
        old = self.remove(conn)
        self._members.setdefault(name, set()).add(conn)
        self._group_of[conn] = name
        self.version += 1
        return old

    def remove(self, conn: Conn) -> str | None:
        """Take ``conn`` out of its group; return that group, or None."""
        name = self._group_of.pop(conn, None)
        if name is not None:
            members = self._members[name]
            members.discard(conn)
            if not members:
                del self._members[name]
            self.version += 1
        return name
