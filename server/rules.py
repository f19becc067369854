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
from server.membership import Membership

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

    _groups: Membership[Conn] = field(default_factory=Membership)
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
        self._groups.remove(conn)

    def connections(self) -> frozenset[Conn]:
        """Every connection registered and not yet disconnected."""
        return frozenset(self._connected)

    def group_of(self, conn: Conn) -> str | None:
        """The name of the group ``conn`` is in, or None."""
        return self._groups.group_of(conn)

    def members(self, group: str) -> frozenset[Conn]:
        """The members of ``group`` (empty if there is no such group)."""
        return frozenset(self._groups.members(group))

    def groups(self) -> frozenset[str]:
        """The names of all existing groups."""
        return self._groups.groups()

    def _create(self, sender: Conn, name: str) -> list[Delivery[Conn]]:
        if self._groups.exists(name):
            return [Delivery((sender,), replies.group_unavailable(name))]
        self._groups.move(sender, name)
        return [Delivery((sender,), replies.group_created(name))]

    def _join(self, sender: Conn, name: str) -> list[Delivery[Conn]]:
        if not self._groups.exists(name):
            return [Delivery((sender,), replies.group_unavailable(name))]
        if self._groups.group_of(sender) != name:  # joining one's own group changes nothing
            self._groups.move(sender, name)
        return [Delivery((sender,), replies.group_joined(name))]

    def _leave(self, sender: Conn) -> list[Delivery[Conn]]:
        name = self._groups.remove(sender)
        if name is None:
            return [Delivery((sender,), replies.not_in_a_group())]
        return [Delivery((sender,), replies.group_left(name))]

    def _post(self, sender: Conn, name: str, message: str) -> list[Delivery[Conn]]:
        if self._groups.group_of(sender) != name:
            return [Delivery((sender,), replies.not_a_member(name))]
        return [Delivery(tuple(self._groups.members(name)), message)]
