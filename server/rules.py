"""The chat rules: who is in which group and who receives what.

Plain Python with no I/O, so the rules can be unit-tested and property-tested
without a network. A connection is represented by any hashable value the caller
chooses (the socket layer uses its connection objects; tests use strings).

The rules answer every command with a list of :class:`Delivery` values; the socket
layer only has to send each text to each recipient, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic

from server import replies
from server.commands import Command
from server.membership import Conn as Conn  # re-exported: other modules import it from here
from server.membership import Membership
from server.plan import Answer, Claim, Leave, Publish, plan


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
    which frees its name. Groups are told apart by key: two spellings of a name
    that are equal under NFC are one group.
    """

    _groups: Membership[Conn] = field(default_factory=Membership)
    _connected: set[Conn] = field(default_factory=set)

    def connect(self, conn: Conn) -> None:
        """Register a new connection; it starts in no group."""
        self._connected.add(conn)

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        """Apply ``command`` from ``sender`` and return what must be sent."""
        match plan(command, self._groups.group_of(sender)):
            case Answer(texts):
                return [Delivery((sender,), text) for text in texts]
            case Claim(name, create) as claim:
                granted = self._groups.exists(name.key) != create
                if granted:
                    self._groups.move(sender, name)
                return [Delivery((sender,), claim.reply(granted=granted))]
            case Leave(name):
                self._groups.remove(sender)
                return [Delivery((sender,), replies.group_left(name.written))]
            case Publish(name, message):
                return [Delivery(tuple(self._groups.members(name.key)), message)]

    def disconnect(self, conn: Conn) -> None:
        """Forget ``conn``: it leaves its group, which is deleted if now empty."""
        self._connected.discard(conn)
        self._groups.remove(conn)

    def connections(self) -> frozenset[Conn]:
        """Every connection registered and not yet disconnected."""
        return frozenset(self._connected)

    def group_of(self, conn: Conn) -> str | None:
        """The key of the group ``conn`` is in (its name in NFC), or None."""
        group = self._groups.group_of(conn)
        return group.key if group is not None else None

    def members(self, key: str) -> frozenset[Conn]:
        """The members of the group ``key`` (empty if there is no such group)."""
        return frozenset(self._groups.members(key))

    def groups(self) -> frozenset[str]:
        """The keys of all existing groups."""
        return self._groups.groups()
