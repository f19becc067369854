"""The chat's rules, and the one executor that carries them out over a store chosen at start.

:func:`plan` decides in pure Python, for a single server and a cluster node alike, what
the sender's own group settles (echoes, refusals); the rest is a step that :class:`Chat`
has its :class:`Store` do atomically: :class:`MemoryStore` (a single server) answers at
once, :class:`server.cluster.node.Node` (``--broker``) shares the groups through Redis.
Groups are told apart by their key (:class:`GroupName`); replies name a group as the
sender wrote it. A connection is any hashable value (tests use strings).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable, Hashable, Iterable, Set
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from server import replies

# The commands a client can send, as plain values (server.wire reads them from frames).


@dataclass(frozen=True)
class GroupName:
    """A group's name as one client wrote it, and its key: spellings equal under NFC
    ("café" with one "é" or with a combining accent) name one group."""

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
    """Sent only once every post already on its way here is delivered, so an echo
    round trip proves those arrived too."""


@dataclass(frozen=True)
class Claim:
    """Create (``create=True``) or join the group ``name``: granted if its key is
    free (create) or taken (join)."""

    name: GroupName
    create: bool

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


# Carrying the steps out

Conn = TypeVar("Conn", bound=Hashable)


@dataclass(frozen=True)
class Delivery(Generic[Conn]):
    """One text message to send to each of ``recipients``."""

    recipients: tuple[Conn, ...]
    text: str


Deliver = Callable[[Iterable[Conn], str], None]
"""Send one text to each of some connections at once (``websockets.broadcast``)."""


class Membership(Generic[Conn]):
    """Groups and their members, by key: a connection is in at most one group, and a
    group lives while it has members. A cluster node keeps only its own members here."""

    def __init__(self) -> None:
        self._members: dict[str, set[Conn]] = {}
        self._group_of: dict[Conn, GroupName] = {}
        self.version = 0
        """Incremented by every change: a node registering again sees if anyone moved."""

    def group_of(self, conn: Conn) -> GroupName | None:
        """The group ``conn`` is in, as it wrote the name, or None."""
        return self._group_of.get(conn)

    def members(self, key: str) -> Set[Conn]:
        """The members of the group ``key`` (a live view: copy it to keep it)."""
        return self._members.get(key, frozenset())

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


class Unavailable(Exception):
    """The store cannot do it now (a node's broker is away), and nothing changed."""


class Store(Protocol[Conn]):
    """Where the groups are kept: each change is atomic, its result given at once or
    as an awaitable."""

    local: Membership[Conn]
    """This process's connections that are in a group, and their groups."""

    async def start(self, deliver: Deliver[Conn]) -> None:
        """Get ready; ``deliver`` sends posts that arrive from elsewhere."""

    async def close(self) -> None:
        """Let go of every member at once; later requests are refused."""

    def unavailable_reason(self) -> str | None:
        """Why this server should not get new clients now (one line), or None."""

    def connect(self, conn: Conn) -> None:
        """Register a new connection; it starts in no group."""

    def disconnect(self, conn: Conn) -> Awaitable[None] | None:
        """Forget ``conn``: it leaves its group, which is freed if now empty."""

    def claim(self, conn: Conn, name: GroupName, *, exists: bool) -> bool | Awaitable[bool]:
        """Move ``conn`` into ``name`` if that group's existence is ``exists``, in one
        atomic step (so two creators of one name cannot both win); True if it moved."""

    def leave(self, conn: Conn) -> Awaitable[None] | None:
        """Take ``conn`` out of its group; posts sent before still reach it."""

    def publish(self, name: GroupName, message: str) -> Awaitable[None] | None:
        """Send ``message`` to the members of ``name`` elsewhere (:class:`Chat` sends
        this process's own)."""

    def barrier(self) -> Awaitable[None] | None:
        """Wait until every post already on its way to this process is delivered."""


@dataclass
class MemoryStore(Generic[Conn]):
    """The groups of one process, in memory: its own members are every member."""

    local: Membership[Conn] = field(default_factory=Membership)
    connected: set[Conn] = field(default_factory=set)
    """Every connection registered and not yet disconnected."""

    async def start(self, deliver: Deliver[Conn]) -> None:
        """Nothing arrives from elsewhere, so ``deliver`` is not needed."""

    async def close(self) -> None:
        """Nothing outside this process holds its members."""

    def unavailable_reason(self) -> str | None:
        return None

    def connect(self, conn: Conn) -> None:
        self.connected.add(conn)

    def disconnect(self, conn: Conn) -> None:
        self.connected.discard(conn)
        self.local.remove(conn)

    def claim(self, conn: Conn, name: GroupName, *, exists: bool) -> bool:
        if bool(self.local.members(name.key)) != exists:
            return False
        self.local.move(conn, name)
        return True

    def leave(self, conn: Conn) -> None:
        self.local.remove(conn)

    def publish(self, name: GroupName, message: str) -> None:
        """Every member is in this process: there is nobody elsewhere."""

    def barrier(self) -> None:
        """Nothing is on its way from elsewhere."""


class Chat(Generic[Conn]):
    """The chat rules carried out for the connections of this process, on ``store``."""

    def __init__(self, store: Store[Conn] | None = None) -> None:
        self.store: Store[Conn] = store if store is not None else MemoryStore()

    def handle(
        self, sender: Conn, command: Command
    ) -> list[Delivery[Conn]] | Awaitable[list[Delivery[Conn]]]:
        """Apply ``command`` from ``sender``; return what this process must send, in
        order, or an awaitable of it if the store's answer is awaited."""
        store = self.store
        step = plan(command, store.local.group_of(sender))
        if isinstance(step, Answer):  # no group changes: the commonest request, an echo, is one
            answer = [Delivery((sender,), text) for text in step.texts]
            waiting = store.barrier() if step.echo else None
            return answer if waiting is None else _after(waiting, answer)
        done: bool | Awaitable[bool] | Awaitable[None] | None
        match step:
            case Claim(name, create):
                done = store.claim(sender, name, exists=not create)
            case Leave():
                done = store.leave(sender)
            case Publish(name, message):
                done = store.publish(name, message)
        if isinstance(done, bool) or done is None:
            return self._deliveries(sender, step, done)
        return self._deliveries_when(sender, step, done)

    def _deliveries(
        self, sender: Conn, step: Claim | Leave | Publish, granted: bool | None
    ) -> list[Delivery[Conn]]:
        """What is sent once the store has done its part (``granted``: a claim's answer)."""
        match step:
            case Claim():
                return [Delivery((sender,), step.reply(granted=bool(granted)))]
            case Leave(name):
                return [Delivery((sender,), replies.group_left(name.written))]
            case Publish(name, message):
                return [Delivery(tuple(self.store.local.members(name.key)), message)]

    async def _deliveries_when(
        self, sender: Conn, step: Claim | Leave | Publish, done: Awaitable[bool] | Awaitable[None]
    ) -> list[Delivery[Conn]]:
        try:
            granted = await done
        except Unavailable:
            return [Delivery((sender,), replies.broker_unavailable())]
        return self._deliveries(sender, step, granted)


async def _after(waiting: Awaitable[None], answer: list[Delivery[Conn]]) -> list[Delivery[Conn]]:
    await waiting
    return answer
