"""The smallest possible ``websockets`` server: the library's ceiling on this machine.

Connections to ``/fanout`` join one set and every message any of them sends is
broadcast to all of them (sender included) with :func:`websockets.broadcast`;
connections to ``/times3`` get each message back three times (our ECHO_TIMES_3);
connections to any other path get each message echoed back. Nothing is parsed
and nothing is logged, so whatever our chat server does on top costs what the
benchmark shows.

Run like the chat server: ``python -m bench.ceiling --port 0 [--event-loop X]``
prints its URL first and stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Awaitable, Callable

from websockets.asyncio.server import ServerConnection, broadcast, serve

from wsharness.runtime.loops import EVENT_LOOPS, loop_factory

FANOUT_PATH = "/fanout"
TIMES3_PATH = "/times3"


async def main(host: str, port: int) -> None:
    members: set[ServerConnection] = set()

    async def handler(connection: ServerConnection) -> None:
        assert connection.request is not None
        if connection.request.path == FANOUT_PATH:
            members.add(connection)
            try:
                async for message in connection:
                    broadcast(members, message)
            finally:
                members.discard(connection)
        elif connection.request.path == TIMES3_PATH:
            async for message in connection:
                for _ in range(3):
                    await connection.send(message)
        else:
            async for message in connection:
                await connection.send(message)

    await serve_until_stopped(handler, host, port)


async def serve_until_stopped(
    handler: Callable[[ServerConnection], Awaitable[None]], host: str, port: int
) -> None:
    """Serve ``handler``, printing the URL first as the chat server does, until SIGINT or
    SIGTERM."""
    async with serve(handler, host, port) as server:
        bound_host, bound_port = server.sockets[0].getsockname()[:2]
        print(f"ws://{bound_host}:{bound_port}", flush=True)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        await stopping.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--event-loop", choices=EVENT_LOOPS, default="auto")
    args = parser.parse_args()
    _, new_loop = loop_factory(args.event_loop)
    with asyncio.Runner(loop_factory=new_loop) as runner:
        runner.run(main(args.host, args.port))
