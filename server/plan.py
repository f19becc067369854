"""What the server does with one command, decided from the sender's own group.

Pure, like :mod:`server.rules`, and the one place the chat's rules are decided:
knowing which group the sender is in is enough to answer echoes and refuse
requests that break a rule. What that cannot settle (whether a name is taken,
who else is in a group) becomes a step: :class:`server.rules.ChatRooms` applies
it to one server's groups, a cluster node (:mod:`server.cluster.node`) takes it
to the broker.

Groups are told apart by their key (:class:`~server.commands.GroupName`), so two
spellings of one name are one group; every reply names the group as the sender
wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass

from server import replies
from server.commands import (
    Command,
    CreateGroup,
    Echo,
    EchoTimes3,
    GroupName,
    JoinGroup,
    LeaveGroup,
    MessageGroup,
)


@dataclass(frozen=True)
class Answer:
    """Reply to the sender with ``texts``; no group changes."""

    texts: tuple[str, ...]
    echo: bool = False
    """An echo: sent once the node has delivered every post the broker carried
    to it before the echo arrived, so an echo round trip proves that too."""


@dataclass(frozen=True)
class Claim:
    """Create (``create=True``) or join the group ``name``: granted if its key is
    free (create) or taken (join)."""

    name: GroupName
    create: bool

    def reply(self, *, granted: bool) -> str:
        """The sender's reply once the broker has said yes or no."""
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
    """Deliver ``message`` to every member of ``name`` on every node."""

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
