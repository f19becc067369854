"""Which of one node's own connections are in which group.

Pure bookkeeping: the cluster's view of a group is in Redis; a node keeps only
its own members, to deliver posts to them and to register them again when the
broker has forgotten them. :attr:`LocalGroups.version` changes with every move,
so a node can tell whether its members changed while it was registering them.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Generic

from server.rules import Conn


class LocalGroups(Generic[Conn]):
    """Groups and their members on this node; a connection is in at most one."""

    def __init__(self) -> None:
        self._members: dict[str, set[Conn]] = {}
        self._group_of: dict[Conn, str] = {}
        self.version = 0
        """Incremented by every change of membership."""

    def group_of(self, conn: Conn) -> str | None:
        """The group ``conn`` is in, or None."""
        return self._group_of.get(conn)

    def members(self, name: str) -> Set[Conn]:
        """This node's members of ``name`` (a live view: copy it to keep it)."""
        members = self._members.get(name)
        return members if members is not None else frozenset()

    def groups(self) -> frozenset[str]:
        """The groups that have members on this node."""
        return frozenset(self._members)

    def held(self) -> dict[Conn, str]:
        """Every member on this node and its group."""
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
