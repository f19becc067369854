"""What the server does with one command, decided from the sender's own group.

Pure, like :mod:`server.rules`, and the one place the chat's rules are decided:
knowing which group the sender is in is enough to answer echoes and refuse
requests that break a rule. What that cannot settle (whether a name is taken,
who else is in a group) becomes a step: :class:`server.rules.ChatRooms` applies
it to one server's groups, a cluster node (:mod:`server.cluster.node`) takes it
to the broker.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Answer:
    """Reply to the sender with ``texts``; no group changes."""

    texts: tuple[str, ...]
    echo: bool = False
    """An echo: sent once the node has delivered every post the broker carried
    to it before the echo arrived, so an echo round trip proves that too."""


@dataclass(frozen=True)
class Claim:
    """Create (``create=True``) or join the group ``name``: granted if the name is
    free (create) or taken (join)."""

    name: str
    create: bool

    def reply(self, *, granted: bool) -> str:
        """The sender's reply once the broker has said yes or no."""
        if not granted:
            return replies.group_unavailable(self.name)
        return replies.group_created(self.name) if self.create else replies.group_joined(self.name)


@dataclass(frozen=True)
class Leave:
    """Take the sender out of ``name``."""

    name: str


@dataclass(frozen=True)
class Publish:
    """Deliver ``message`` to every member of ``name`` on every node."""

    name: str
    message: str


Step = Answer | Claim | Leave | Publish


def plan(command: Command, group: str | None) -> Step:
    """The step for ``command`` from a sender who is in ``group`` (None: in none)."""
    match command:
        case Echo(value):
            return Answer((value,), echo=True)
        case EchoTimes3(value):
            return Answer((value,) * 3, echo=True)
        case CreateGroup(name):
            if group == name:  # the sender's own group: taken, and nothing changes
                return Answer((replies.group_unavailable(name),))
            return Claim(name, create=True)
        case JoinGroup(name):
            if group == name:  # joining one's own group changes nothing
                return Answer((replies.group_joined(name),))
            return Claim(name, create=False)
        case LeaveGroup():
            if group is None:
                return Answer((replies.not_in_a_group(),))
            return Leave(group)
        case MessageGroup(name, message):
            if group != name:
                return Answer((replies.not_a_member(name),))
            return Publish(name, message)
    raise TypeError(f"not a chat command: {command!r}")
