"""The chat rules: the commands a client can send, and what each does.

Pure Python with no I/O, and the one place the chat's rules are decided, for a
single server and a cluster node alike. Knowing which group the sender is in is
enough to answer echoes and refuse requests that break a rule. What that cannot
settle (whether a name is taken, who else is in a group) becomes a step, which
:class:`server.chat.Chat` carries out against its store: this process's memory,
or a cluster's Redis.

Groups are told apart by their key (:class:`GroupName`), so two
spellings of one name are one group; every reply names the group as the sender
wrote it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from server import replies

# The commands a client can send, as plain values (server.wire reads them from frames).


@dataclass(frozen=True)
class GroupName:
    """A group's name as one client wrote it, and the key that identifies the group.

    Two spellings that are equal under Unicode NFC, such as "café" with one "é"
    and "café" as "e" plus a combining accent, have one key: they name one group.
    Groups are found by ``key``; replies carry ``written``, the sender's spelling.
    """

    written: str
    key: str

    @classmethod
    def of(cls, written: str) -> GroupName:
        """The name as written, keyed by its NFC form."""
        return cls(written, unicodedata.normalize("NFC", written))


@dataclass(frozen=True)
class Echo:
    """``ECHO``: send ``value`` back to the sender."""

    value: str


@dataclass(frozen=True)
class EchoTimes3:
    """``ECHO_TIMES_3``: send ``value`` back to the sender three times."""

    value: str


@dataclass(frozen=True)
class CreateGroup:
    """``CREATE_GROUP``: create the group ``name`` and move the sender into it."""

    name: GroupName


@dataclass(frozen=True)
class JoinGroup:
    """``JOIN_GROUP``: move the sender into the existing group ``name``."""

    name: GroupName


@dataclass(frozen=True)
class LeaveGroup:
    """``LEAVE_GROUP``: take the sender out of its group."""


@dataclass(frozen=True)
class MessageGroup:
    """``MESSAGE_GROUP``: deliver ``message`` to every member of ``name``."""

    name: GroupName
    message: str


Command = Echo | EchoTimes3 | CreateGroup | JoinGroup | LeaveGroup | MessageGroup


# What the server does with each: an answer, or a step for the store.


@dataclass(frozen=True)
class Answer:
    """Reply to the sender with ``texts``; no group changes."""

    texts: tuple[str, ...]
    echo: bool = False
    """An echo: sent once every post already on its way to this process has been
    delivered (a cluster node waits for its broker), so an echo round trip proves
    that too."""


@dataclass(frozen=True)
class Claim:
    """Create (``create=True``) or join the group ``name``: granted if its key is
    free (create) or taken (join)."""

    name: GroupName
    create: bool

    @property
    def must_exist(self) -> bool:
        """What the store must find, atomically, before it moves the sender: a group
        to join, or no group where one is created."""
        return not self.create

    def reply(self, *, granted: bool) -> str:
        """The sender's reply once the store has said yes or no."""
        written = self.name.written
        if not granted:
            return replies.group_unavailable(written)
        return replies.group_created(written) if self.create else replies.group_joined(written)


@dataclass(frozen=True)
class Leave:
    """Take the sender out of ``name``, the group as the sender wrote it on joining."""

    name: GroupName


@dataclass(frozen=True)
class Publish:
    """Deliver ``message`` to every member of ``name`` (on every node of a cluster)."""

    name: GroupName
    message: str


Step = Answer | Claim | Leave | Publish


def plan(command: Command, group: GroupName | None) -> Step:
    """The step for ``command`` from a sender who is in ``group`` (None: in none)."""
    key = group.key if group is not None else None
    match command:
        case Echo(value):
            return Answer((value,), echo=True)
        case EchoTimes3(value):
            return Answer((value,) * 3, echo=True)
        case CreateGroup(name):
            if name.key == key:  # the sender's own group: taken, and nothing changes
                return Answer((replies.group_unavailable(name.written),))
            return Claim(name, create=True)
        case JoinGroup(name):
            if name.key == key:  # joining one's own group changes nothing
                return Answer((replies.group_joined(name.written),))
            return Claim(name, create=False)
        case LeaveGroup():
            if group is None:
                return Answer((replies.not_in_a_group(),))
            return Leave(group)
        case MessageGroup(name, message):
            if name.key != key:
                return Answer((replies.not_a_member(name.written),))
            return Publish(name, message)
    raise TypeError(f"not a chat command: {command!r}")
