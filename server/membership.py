"""Which connections are in which group: the bookkeeping, written once.

Pure Python with no I/O. :class:`server.rules.ChatRooms` keeps one server's
groups in it. A cluster node keeps only its own members in one (the cluster's
view of a group is in Redis), to deliver posts to them and to register them
again when the broker has forgotten them; :attr:`Membership.version` changes
with every move, so a node can tell whether its members changed while it was
registering them.

Groups are kept by key (:class:`~server.commands.GroupName`); each member's
group is remembered as that member wrote it, for the replies it gets.
"""

from __future__ import annotations

from collections.abc import Hashable, Set
from typing import Generic, TypeVar

from server.commands import GroupName

Conn = TypeVar("Conn", bound=Hashable)


class Membership(Generic[Conn]):
    """Groups and their members; a connection is in at most one, and a group lives
    while it has members."""

    def __init__(self) -> None:
        self._members: dict[str, set[Conn]] = {}
        self._group_of: dict[Conn, GroupName] = {}
        self.version = 0
        """Incremented by every change of membership."""

    def group_of(self, conn: Conn) -> GroupName | None:
        """The group ``conn`` is in, as it wrote the name, or None."""
        return self._group_of.get(conn)

    def exists(self, key: str) -> bool:
        """True if the group ``key`` has members."""
        return key in self._members

    def members(self, key: str) -> Set[Conn]:
        """The members of the group ``key`` (a live view: copy it to keep it)."""
        members = self._members.get(key)
        return members if members is not None else frozenset()

    def groups(self) -> frozenset[str]:
        """The keys of the groups that have members."""
        return frozenset(self._members)

    def held(self) -> dict[Conn, GroupName]:
        """Every member and its group."""
        return dict(self._group_of)

    def move(self, conn: Conn, name: GroupName) -> GroupName | None:
        """Put ``conn`` in ``name``; return the group it left, if any."""
        old = self.remove(conn)
        self._members.setdefault(name.key, set()).add(conn)
        self._group_of[conn] = name
        self.version += 1
        return old

    def remove(self, conn: Conn) -> GroupName | None:
        """Take ``conn`` out of its group; return that group, or None."""
        name = self._group_of.pop(conn, None)
        if name is not None:
            members = self._members[name.key]
            members.discard(conn)
            if not members:
                del self._members[name.key]
            self.version += 1
        return name
