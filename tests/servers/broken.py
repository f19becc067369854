"""The chat server with one rule deliberately broken, to prove the specs can fail.

``python -m tests.servers.broken --fault NAME [--delay SECONDS] --port 0``
runs the project's server with exactly one rule of the protocol broken: a chat
rule (:data:`FAULTS`, variants of the chat rules) or a rule of reading requests
and closing connections (:data:`SERVER_FAULTS`, variants of the server).
``--fault none --delay 0.3`` is a correct server that answers every message
300 ms late; ``--jitter 0.05`` adds up to 50 ms more, at random, to each message (a
jittery server that still answers each connection in order).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast
from websockets.frames import Close, CloseCode, Frame, Opcode
from websockets.server import ServerProtocol

from server import replies
from server.app import ChatServer
from server.chat import (
    Command,
    CreateGroup,
    Delivery,
    Echo,
    EchoTimes3,
    GroupName,
    JoinGroup,
    LeaveGroup,
    MessageGroup,
)
from server.cli import serve_until_signalled
from server.connection import ChatConnection
from server.wire import KNOWN_TYPES, BadMessage, parse_command
from tests.rooms import Rooms

Conn = ServerConnection


class EchoFourTimes(Rooms[Conn]):
    """ECHO_TIMES_3 sends four copies."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, EchoTimes3):
            return [Delivery((sender,), command.value)] * 4
        return super().handle(sender, command)


class EchoToEveryone(Rooms[Conn]):
    """ECHO goes to every connection, not just the sender."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, Echo):
            return [Delivery(tuple(self.connections()), command.value)]
        return super().handle(sender, command)


class GroupMessageToEveryone(Rooms[Conn]):
    """A member's group message reaches every connection."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, MessageGroup) and self.group_of(sender) == command.name.key:
            return [Delivery(tuple(self.connections()), command.message)]
        return super().handle(sender, command)


class SenderLeftOut(Rooms[Conn]):
    """A group message reaches the other members but not its sender."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        deliveries = super().handle(sender, command)
        if isinstance(command, MessageGroup) and self.group_of(sender) == command.name.key:
            others = tuple(m for m in self.members(command.name.key) if m != sender)
            return [Delivery(others, command.message)]
        return deliveries


class DeliveredTwice(Rooms[Conn]):
    """Every member receives each group message twice."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        deliveries = super().handle(sender, command)
        if isinstance(command, MessageGroup) and self.group_of(sender) == command.name.key:
            return deliveries * 2
        return deliveries


class NonMemberPostDelivered(Rooms[Conn]):
    """A post from outside a group reaches the group's members."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, MessageGroup) and self.group_of(sender) != command.name.key:
            return [Delivery(tuple(self.members(command.name.key)), command.message)]
        return super().handle(sender, command)


class DuplicateGroupAccepted(Rooms[Conn]):
    """Creating a taken group name succeeds and puts the creator in it."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, CreateGroup) and command.name.key in self.groups():
            super().handle(sender, JoinGroup(command.name))
            return [Delivery((sender,), replies.group_created(command.name.written))]
        return super().handle(sender, command)


class UnknownGroupJoined(Rooms[Conn]):
    """Joining a group that does not exist creates it and says it was joined."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, JoinGroup) and command.name.key not in self.groups():
            super().handle(sender, CreateGroup(command.name))
            return [Delivery((sender,), replies.group_joined(command.name.written))]
        return super().handle(sender, command)


class GroupNameIgnored(Rooms[Conn]):
    """MESSAGE_GROUP goes to the sender's current group, whatever groupName says."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        current = self.group_of(sender)
        if isinstance(command, MessageGroup) and current is not None:
            return [Delivery(tuple(self.members(current)), command.message)]
        return super().handle(sender, command)


class OldGroupKept(Rooms[Conn]):
    """A connection that moves to another group by one of ``moves`` still hears the
    posts to the group it left."""

    moves: tuple[type[Command], ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.left_behind: dict[str, set[Conn]] = {}

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        old = self.group_of(sender)
        deliveries = super().handle(sender, command)
        new = self.group_of(sender)
        if isinstance(command, self.moves) and old is not None and new not in (None, old):
            self.left_behind.setdefault(old, set()).add(sender)
        if isinstance(command, MessageGroup) and new is not None and new == command.name.key:
            ghosts = tuple(self.left_behind.get(new, set()) - self.members(new))
            deliveries = [Delivery(d.recipients + ghosts, d.text) for d in deliveries]
        return deliveries

    def disconnect(self, conn: Conn) -> None:
        for ghosts in self.left_behind.values():
            ghosts.discard(conn)
        super().disconnect(conn)


class CreateKeepsOldGroup(OldGroupKept):
    """Creating a group leaves the creator in its old group as well."""

    moves = (CreateGroup,)


class RefusedButAdded(Rooms[Conn]):
    """A taken name is refused, but the refused client is put in the group anyway."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, CreateGroup) and command.name.key in self.groups():
            super().handle(sender, JoinGroup(command.name))
            return [Delivery((sender,), replies.group_unavailable(command.name.written))]
        return super().handle(sender, command)


class EchoTwice(Rooms[Conn]):
    """ECHO sends two copies."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, Echo):
            return [Delivery((sender,), command.value)] * 2
        return super().handle(sender, command)


class FirstGroupKept(OldGroupKept):
    """Moving to another group leaves the connection in the first one too."""

    moves = (CreateGroup, JoinGroup)


class GroupDiesWithCreator(Rooms[Conn]):
    """When the creator disconnects, the group is deleted with all its members."""

    def __init__(self) -> None:
        super().__init__()
        self.creators: dict[str, Conn] = {}

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, CreateGroup) and command.name.key not in self.groups():
            self.creators[command.name.key] = sender
        return super().handle(sender, command)

    def disconnect(self, conn: Conn) -> None:
        for name, creator in list(self.creators.items()):
            if creator == conn:
                del self.creators[name]
                for member in self.members(name):
                    super().disconnect(member)
                    self.connect(member)
        super().disconnect(conn)


class LateFourthEcho(Rooms[Conn]):
    """ECHO_TIMES_3 sends its three copies, then a fourth 20 ms later from a
    background callback: invisible to round trips, caught by a late window."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, EchoTimes3):
            loop = asyncio.get_running_loop()
            loop.call_later(0.02, broadcast, [sender], command.value)
        return super().handle(sender, command)


class BadReplyFormat(Rooms[Conn]):
    """GROUP_CREATED loses the space after its colon."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        deliveries = super().handle(sender, command)
        return [
            Delivery(d.recipients, d.text.replace("GROUP_CREATED: ", "GROUP_CREATED:"))
            for d in deliveries
        ]


class JoinOwnGroupRefused(Rooms[Conn]):
    """Joining the group one is already in is refused as unavailable."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, JoinGroup) and self.group_of(sender) == command.name.key:
            return [Delivery((sender,), replies.group_unavailable(command.name.written))]
        return super().handle(sender, command)


class JoinOwnGroupLeavesIt(Rooms[Conn]):
    """Joining the group one is already in is confirmed, but takes one out of it."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, JoinGroup) and self.group_of(sender) == command.name.key:
            super().handle(sender, LeaveGroup())  # its reply is not sent
            return [Delivery((sender,), replies.group_joined(command.name.written))]
        return super().handle(sender, command)


def renamed(command: Command, rename: Callable[[GroupName], GroupName]) -> Command:
    """``command`` with its group name, if it has one, passed through ``rename``."""
    match command:
        case CreateGroup(name):
            return CreateGroup(rename(name))
        case JoinGroup(name):
            return JoinGroup(rename(name))
        case MessageGroup(name, message):
            return MessageGroup(rename(name), message)
    return command


class NamesNotNormalised(Rooms[Conn]):
    """Groups are told apart by their names as written: two spellings of "café" that
    NFC makes equal are two groups."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        as_written = renamed(command, lambda name: GroupName(name.written, name.written))
        return super().handle(sender, as_written)


class RepliesNormalised(Rooms[Conn]):
    """Replies name a group by its NFC form, not as the sender wrote it."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        as_key = renamed(command, lambda name: GroupName(name.key, name.key))
        return super().handle(sender, as_key)


FAULTS: dict[str, type[Rooms[Conn]]] = {
    "none": Rooms,
    "echo-four-times": EchoFourTimes,
    "echo-to-everyone": EchoToEveryone,
    "group-message-to-everyone": GroupMessageToEveryone,
    "sender-left-out": SenderLeftOut,
    "delivered-twice": DeliveredTwice,
    "non-member-post-delivered": NonMemberPostDelivered,
    "duplicate-group-accepted": DuplicateGroupAccepted,
    "unknown-group-joined": UnknownGroupJoined,
    "first-group-kept": FirstGroupKept,
    "group-name-ignored": GroupNameIgnored,
    "create-keeps-old-group": CreateKeepsOldGroup,
    "refused-but-added": RefusedButAdded,
    "echo-twice": EchoTwice,
    "group-dies-with-creator": GroupDiesWithCreator,
    "bad-reply-format": BadReplyFormat,
    "late-fourth-echo": LateFourthEcho,
    "rejoin-refused": JoinOwnGroupRefused,
    "rejoin-leaves-group": JoinOwnGroupLeavesIt,
    "names-not-normalised": NamesNotNormalised,
    "replies-normalised": RepliesNormalised,
}


class DelayedChatServer(ChatServer):
    """Handles every message ``delay`` seconds late, so every reply is late.

    Subclasses that break a rule of the wire format answer some frames
    themselves: :meth:`replies_instead`.
    """

    def __init__(self, rooms: Rooms[Conn], delay: float) -> None:
        super().__init__(chat=rooms)
        self.delay = delay
        self.jitter = 0.0
        """Up to this many seconds more, at random, for each message."""

    def replies_instead(self, frame: str | bytes) -> list[str] | None:
        """What to send the sender instead of the real answer; None: answer as the server does."""
        return None

    def answer(self, connection: ChatConnection, message: str | bytes) -> Awaitable[None]:
        return self._answer_late(connection, message)

    async def _answer_late(self, connection: ChatConnection, message: str | bytes) -> None:
        await asyncio.sleep(self.delay + random.uniform(0, self.jitter))
        instead = self.replies_instead(message)
        if instead is None:
            later = super().answer(connection, message)
            if later is not None:
                await later
            return
        for text in instead:
            self.deliver((connection,), text, sender=connection)

    def refusal(self, frame: str | bytes) -> str | None:
        """The real server's reason for refusing ``frame``, or None if it accepts it."""
        try:
            parse_command(frame, max_group_name=self.limits.max_group_name)
        except BadMessage as bad:
            return bad.reason
        return None


def _request(frame: str | bytes) -> dict[str, Any]:
    """The frame's JSON object, or an empty one if it is not a JSON object."""
    try:
        document = json.loads(frame)
    except (ValueError, RecursionError):
        return {}
    return document if isinstance(document, dict) else {}


class ExtraKeysRefused(DelayedChatServer):
    """A request with keys besides "type" and "value" is refused."""

    def replies_instead(self, frame: str | bytes) -> list[str] | None:
        extra = sorted(set(_request(frame)) - {"type", "value"})
        return [replies.error(f"unexpected key {extra[0]!r}")] if extra else None


class LeaveValueRefused(DelayedChatServer):
    """LEAVE_GROUP with a "value" is refused instead of the value being ignored."""

    def replies_instead(self, frame: str | bytes) -> list[str] | None:
        request = _request(frame)
        if request.get("type") == "LEAVE_GROUP" and "value" in request:
            return [replies.error('LEAVE_GROUP takes no "value"')]
        return None


class BlankIsNotJson(DelayedChatServer):
    """A message of only white space is called invalid JSON, not empty."""

    def replies_instead(self, frame: str | bytes) -> list[str] | None:
        if isinstance(frame, str) and frame and not frame.strip():
            try:
                json.loads(frame)
            except ValueError as exc:
                return [replies.error(f"message is not valid JSON ({exc})")]
        return None


class LongTypeUncut(DelayedChatServer):
    """An unknown type is quoted whole in the reply, however long."""

    def replies_instead(self, frame: str | bytes) -> list[str] | None:
        kind = _request(frame).get("type")
        if isinstance(kind, str) and kind not in KNOWN_TYPES and len(kind) > 40:
            return [replies.error(f"unknown type {kind!r}; known types: {', '.join(KNOWN_TYPES)}")]
        return None


class LoneSurrogateReplaced(DelayedChatServer):
    """ECHO of half a surrogate pair echoes "?" instead of refusing it."""

    def replies_instead(self, frame: str | bytes) -> list[str] | None:
        request = _request(frame)
        value = request.get("value")
        if request.get("type") == "ECHO" and isinstance(value, str):
            repaired = value.encode("utf-8", "replace").decode()
            return [repaired] if repaired != value else None
        return None


class BooleansAsNumbers(DelayedChatServer):
    """true and false are called "a number" in refusals, as Python's bool is an int."""

    def replies_instead(self, frame: str | bytes) -> list[str] | None:
        reason = self.refusal(frame)
        if reason is not None and "true/false" in reason:
            return [replies.error(reason.replace("true/false", "a number"))]
        return None


class WrongFieldNamed(DelayedChatServer):
    """A missing or wrong "groupName" is reported as a problem with "groupMessage"."""

    def replies_instead(self, frame: str | bytes) -> list[str] | None:
        reason = self.refusal(frame)
        if reason is None:
            return None
        wrong = reason.replace('no "groupName"', 'no "groupMessage"').replace(
            '"groupName" must', '"groupMessage" must'
        )
        return [replies.error(wrong)] if wrong != reason else None


class ErrorTwice(DelayedChatServer):
    """Every refusal is sent twice."""

    def replies_instead(self, frame: str | bytes) -> list[str] | None:
        reason = self.refusal(frame)
        return [replies.error(reason)] * 2 if reason is not None else None


class InvisibleCharactersAccepted(DelayedChatServer):
    """A group name with an invisible or control character is taken like any other."""

    def answer(self, connection: ChatConnection, message: str | bytes) -> Awaitable[None]:
        reason = self.refusal(message)
        if reason is None or "invisible or control character" not in reason:
            return super().answer(connection, message)
        return self._take_anyway(connection, message)

    async def _take_anyway(self, connection: ChatConnection, frame: str | bytes) -> None:
        await asyncio.sleep(self.delay)
        request = _request(frame)  # well formed: only its group name was refused
        kind, value = request["type"], request["value"]
        command: Command
        if kind == "CREATE_GROUP":
            command = CreateGroup(GroupName.of(value))
        elif kind == "JOIN_GROUP":
            command = JoinGroup(GroupName.of(value))
        else:
            command = MessageGroup(GroupName.of(value["groupName"]), value["groupMessage"])
        answer = self.chat.handle(connection, command)
        deliveries = answer if isinstance(answer, list) else await answer
        for delivery in deliveries:
            self.deliver(delivery.recipients, delivery.text, sender=connection)


class _GoingAwayProtocol(ServerProtocol):
    """Answers a client's close frame with 1001 instead of echoing its code."""

    def send_frame(self, frame: Frame) -> None:
        if frame.opcode is Opcode.CLOSE and self.close_rcvd is not None:
            frame = Frame(Opcode.CLOSE, Close(CloseCode.GOING_AWAY, "").serialize())
        super().send_frame(frame)


class CloseAnsweredAsGoingAway(DelayedChatServer):
    """A client's normal closure is answered with 1001 (going away), not 1000."""

    async def _serve_connection(self, connection: Conn) -> None:
        connection.protocol.__class__ = _GoingAwayProtocol
        await super()._serve_connection(connection)


SERVER_FAULTS: dict[str, type[DelayedChatServer]] = {
    "extra-keys-refused": ExtraKeysRefused,
    "leave-value-refused": LeaveValueRefused,
    "blank-is-not-json": BlankIsNotJson,
    "long-type-uncut": LongTypeUncut,
    "lone-surrogate-replaced": LoneSurrogateReplaced,
    "booleans-as-numbers": BooleansAsNumbers,
    "wrong-field-named": WrongFieldNamed,
    "error-twice": ErrorTwice,
    "invisible-characters-accepted": InvisibleCharactersAccepted,
    "close-answered-as-going-away": CloseAnsweredAsGoingAway,
}
"""Faults in reading requests or in the connection, outside the chat rules."""


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.servers.broken")
    parser.add_argument("--fault", choices=sorted([*FAULTS, *SERVER_FAULTS]), required=True)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each reply")
    parser.add_argument("--jitter", type=float, default=0.0, help="up to this much more, at random")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server_class = SERVER_FAULTS.get(args.fault, DelayedChatServer)
    server = server_class(FAULTS.get(args.fault, Rooms)(), args.delay)
    server.jitter = args.jitter
    asyncio.run(serve_until_signalled(server, args.host, args.port))


if __name__ == "__main__":
    main()
