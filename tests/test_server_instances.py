"""Two chat servers in one process: each instance keeps its own groups."""

from __future__ import annotations

from server.app import ChatServer
from wsharness import TestWebSocket
from wsharness.loop import EventLoopThread


def test_two_servers_in_one_process_do_not_share_groups() -> None:
    """While "book club" exists on one server, the other can still create it:
    groups belong to a server instance, not to the module (as in the article)."""
    loop = EventLoopThread(name="two-servers")
    servers = [ChatServer(), ChatServer()]
    try:
        first, second = (loop.run(server.start(), timeout=5) for server in servers)
        with (
            TestWebSocket(first, name="Alice") as alice,
            TestWebSocket(second, name="Bob") as bob,
        ):
            alice.send_json({"type": "CREATE_GROUP", "value": "book club"})
            alice.wait_for_message("GROUP_CREATED: book club")
            bob.send_json({"type": "CREATE_GROUP", "value": "book club"})
            bob.wait_for_message("GROUP_CREATED: book club")
    finally:
        for server in servers:
            loop.run(server.stop(), timeout=5)
        loop.stop()
