"""The chat rules: who is in which group and who receives what.

Plain Python with no I/O, so the rules can be unit-tested and property-tested
without a network. A connection is represented by any hashable value the caller
chooses (the socket layer uses its connection objects; tests use strings).

The rules answer every command with a list of :class:`Delivery` values; the socket
layer only has to send each text to each recipient, in order.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from server import replies
from server.commands import (
    Command,
    CreateGroup,
    Echo,
    EchoTimes3,
    JoinGroup,
    LeaveGroup,
    MessageGroup,
)

Conn = TypeVar("Conn", bound=Hashable)


@dataclass(frozen=True)
class Delivery(Generic[Conn]):
    """One text message to send to each of ``recipients``."""

    recipients: tuple[Conn, ...]
    text: str


@dataclass
class ChatRooms(Generic[Conn]):
    """Groups and their members, for one server instance.

    A connection is in at most one group: creating or joining another group moves
    it. A group lives while it has members and is deleted with its last member,
    which frees its name.
    """

    _members: dict[str, set[Conn]] = field(default_factory=dict)
    _group_of: dict[Conn, str] = field(default_factory=dict)
    _connected: set[Conn] = field(default_factory=set)

    def connect(self, conn: Conn) -> None:
        """Register a new connection; it starts in no group."""
        self._connected.add(conn)

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        """Apply ``command`` from ``sender`` and return what must be sent."""
        match command:
            case Echo(value):
                return [Delivery((sender,), value)]
            case EchoTimes3(value):
                return [Delivery((sender,), value)] * 3
            case CreateGroup(name):
                return self._create(sender, name)
            case JoinGroup(name):
                return self._join(sender, name)
            case LeaveGroup():
                return self._leave(sender)
            case MessageGroup(name, message):
                return self._post(sender, name, message)
        raise TypeError(f"not a chat command: {command!r}")

    def disconnect(self, conn: Conn) -> None:
        """Forget ``conn``: it leaves its group, which is deleted if now empty."""
        self._connected.discard(conn)
        self._remove_from_group(conn)

    def connections(self) -> frozenset[Conn]:
        """Every connection registered and not yet disconnected."""
        return frozenset(self._connected)

    def group_of(self, conn: Conn) -> str | None:
        """The name of the group ``conn`` is in, or None."""
        return self._group_of.get(conn)

    def members(self, group: str) -> frozenset[Conn]:
        """The members of ``group`` (empty if there is no such group)."""
        return frozenset(self._members.get(group, ()))

    def groups(self) -> frozenset[str]:
        """The names of all existing groups."""
        return frozenset(self._members)

    def _create(self, sender: Conn, name: str) -> list[Delivery[Conn]]:
        if name in self._members:
            return [Delivery((sender,), replies.group_unavailable(name))]
        self._remove_from_group(sender)
        self._members[name] = set()
        self._add_to_group(sender, name)
        return [Delivery((sender,), replies.group_created(name))]

    def _join(self, sender: Conn, name: str) -> list[Delivery[Conn]]:
        if name not in self._members:
            return [Delivery((sender,), replies.group_unavailable(name))]
        if self._group_of.get(sender) != name:  # joining one's own group changes nothing
            self._remove_from_group(sender)
            self._add_to_group(sender, name)
        return [Delivery((sender,), replies.group_joined(name))]

    def _leave(self, sender: Conn) -> list[Delivery[Conn]]:
        name = self._remove_from_group(sender)
        if name is None:
            return [Delivery((sender,), replies.not_in_a_group())]
        return [Delivery((sender,), replies.group_left(name))]

    def _post(self, sender: Conn, name: str, message: str) -> list[Delivery[Conn]]:
        if self._group_of.get(sender) != name:
            return [Delivery((sender,), replies.not_a_member(name))]
        return [Delivery(tuple(self._members[name]), message)]

    def _add_to_group(self, conn: Conn, name: str) -> None:
        self._members[name].add(conn)
        self._group_of[conn] = name

    def _remove_from_group(self, conn: Conn) -> str | None:
        """Take ``conn`` out of its group; delete the group if it is now empty."""
        name = self._group_of.pop(conn, None)
        if name is not None:
            members = self._members[name]
            members.discard(conn)
            if not members:
                del self._members[name]
        return name
