"""An independent implementation of the article's final chat server.

Written straight from the article's JavaScript, sharing no code with ``server/``
(only its state is per instance instead of module-wide), so the ``@core``
specs can be shown to judge the protocol rather than one implementation:
``python -m tests.servers.article --port 0``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast, serve

from wsharness.runtime.signals import watch_for_stop


class ArticleChatServer:
    def __init__(self) -> None:
        self.group_names: set[str] = set()
        self.group_of: dict[ServerConnection, str] = {}
        self.clients: set[ServerConnection] = set()

    async def handler(self, ws: ServerConnection) -> None:
        self.clients.add(ws)
        try:
            async for message in ws:
                await self.on_message(ws, json.loads(message))
        finally:
            self.clients.discard(ws)
            self.group_of.pop(ws, None)

    async def on_message(self, ws: ServerConnection, data: Any) -> None:
        match data["type"]:
            case "ECHO":
                await ws.send(data["value"])
            case "ECHO_TIMES_3":
                for _ in range(3):
                    await ws.send(data["value"])
            case "CREATE_GROUP":
                name = data["value"]
                if name in self.group_names:
                    await ws.send(f"GROUP_UNAVAILABLE: {name}")
                    return
                self.group_names.add(name)
                self.group_of[ws] = name
                await ws.send(f"GROUP_CREATED: {name}")
            case "JOIN_GROUP":
                name = data["value"]
                if name not in self.group_names:
                    await ws.send(f"GROUP_UNAVAILABLE: {name}")
                    return
                self.group_of[ws] = name
                await ws.send(f"GROUP_JOINED: {name}")
            case "MESSAGE_GROUP":
                name, text = data["value"]["groupName"], data["value"]["groupMessage"]
                if self.group_of.get(ws) != name:
                    return
                broadcast([c for c in self.clients if self.group_of.get(c) == name], text)


async def run(port: int) -> None:
    chat = ArticleChatServer()
    async with serve(chat.handler, "127.0.0.1", port) as server:
        stopped = watch_for_stop()
        print(f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
        await stopped


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.servers.article")
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(run(parser.parse_args().port))


if __name__ == "__main__":
    main()
