"""The chat server with one rule deliberately broken, to prove the specs can fail.

``python -m tests.servers.broken --fault NAME [--delay SECONDS] --port 0``
runs the project's server with the chat rules replaced by a variant that breaks
exactly one rule of the protocol. ``--fault none --delay 0.3`` is a correct
server that answers every message 300 ms late.
"""

from __future__ import annotations

import argparse
import asyncio

from websockets.asyncio.server import ServerConnection

from server import replies
from server.app import ChatServer
from server.cli import serve_until_signalled
from server.commands import Command, CreateGroup, Echo, EchoTimes3, JoinGroup, MessageGroup
from server.rules import ChatRooms, Delivery

Conn = ServerConnection


class EchoFourTimes(ChatRooms[Conn]):
    """ECHO_TIMES_3 sends four copies."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, EchoTimes3):
            return [Delivery((sender,), command.value)] * 4
        return super().handle(sender, command)


class EchoToEveryone(ChatRooms[Conn]):
    """ECHO goes to every connection, not just the sender."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, Echo):
            return [Delivery(tuple(self.connections()), command.value)]
        return super().handle(sender, command)


class GroupMessageToEveryone(ChatRooms[Conn]):
    """A member's group message reaches every connection."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, MessageGroup) and self.group_of(sender) == command.name:
            return [Delivery(tuple(self.connections()), command.message)]
        return super().handle(sender, command)


class SenderLeftOut(ChatRooms[Conn]):
    """A group message reaches the other members but not its sender."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        deliveries = super().handle(sender, command)
        if isinstance(command, MessageGroup) and self.group_of(sender) == command.name:
            others = tuple(m for m in self.members(command.name) if m != sender)
            return [Delivery(others, command.message)]
        return deliveries


class DeliveredTwice(ChatRooms[Conn]):
    """Every member receives each group message twice."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        deliveries = super().handle(sender, command)
        if isinstance(command, MessageGroup) and self.group_of(sender) == command.name:
            return deliveries * 2
        return deliveries


class NonMemberPostDelivered(ChatRooms[Conn]):
    """A post from outside a group reaches the group's members."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, MessageGroup) and self.group_of(sender) != command.name:
            return [Delivery(tuple(self.members(command.name)), command.message)]
        return super().handle(sender, command)


class DuplicateGroupAccepted(ChatRooms[Conn]):
    """Creating a taken group name succeeds and puts the creator in it."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, CreateGroup) and command.name in self.groups():
            super().handle(sender, JoinGroup(command.name))
            return [Delivery((sender,), replies.group_created(command.name))]
        return super().handle(sender, command)


class UnknownGroupJoined(ChatRooms[Conn]):
    """Joining a group that does not exist creates it and says it was joined."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, JoinGroup) and command.name not in self.groups():
            super().handle(sender, CreateGroup(command.name))
            return [Delivery((sender,), replies.group_joined(command.name))]
        return super().handle(sender, command)


class FirstGroupKept(ChatRooms[Conn]):
    """Moving to another group leaves the connection in the first one too."""

    def _remove_from_group(self, conn: Conn) -> str | None:
        return self._group_of.pop(conn, None)


class GroupDiesWithCreator(ChatRooms[Conn]):
    """When the creator disconnects, the group is deleted with all its members."""

    def __init__(self) -> None:
        super().__init__()
        self.creators: dict[str, Conn] = {}

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        if isinstance(command, CreateGroup) and command.name not in self.groups():
            self.creators[command.name] = sender
        return super().handle(sender, command)

    def disconnect(self, conn: Conn) -> None:
        for name, creator in list(self.creators.items()):
            if creator == conn:
                del self.creators[name]
                for member in self.members(name):
                    super().disconnect(member)
                    self.connect(member)
        super().disconnect(conn)


class BadReplyFormat(ChatRooms[Conn]):
    """GROUP_CREATED loses the space after its colon."""

    def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        deliveries = super().handle(sender, command)
        return [
            Delivery(d.recipients, d.text.replace("GROUP_CREATED: ", "GROUP_CREATED:"))
            for d in deliveries
        ]


FAULTS: dict[str, type[ChatRooms[Conn]]] = {
    "none": ChatRooms,
    "echo-four-times": EchoFourTimes,
    "echo-to-everyone": EchoToEveryone,
    "group-message-to-everyone": GroupMessageToEveryone,
    "sender-left-out": SenderLeftOut,
    "delivered-twice": DeliveredTwice,
    "non-member-post-delivered": NonMemberPostDelivered,
    "duplicate-group-accepted": DuplicateGroupAccepted,
    "unknown-group-joined": UnknownGroupJoined,
    "first-group-kept": FirstGroupKept,
    "group-dies-with-creator": GroupDiesWithCreator,
    "bad-reply-format": BadReplyFormat,
}


class DelayedChatServer(ChatServer):
    """Handles every message ``delay`` seconds late, so every reply is late."""

    def __init__(self, rooms: ChatRooms[Conn], delay: float) -> None:
        super().__init__(rooms=rooms)
        self.delay = delay

    async def _answer(self, connection: Conn, frame: str | bytes, peer: str) -> None:
        await asyncio.sleep(self.delay)
        await super()._answer(connection, frame, peer)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.servers.broken")
    parser.add_argument("--fault", choices=sorted(FAULTS), required=True)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each reply")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    chat = DelayedChatServer(FAULTS[args.fault](), args.delay)
    asyncio.run(serve_until_signalled(chat, args.host, args.port))


if __name__ == "__main__":
    main()
