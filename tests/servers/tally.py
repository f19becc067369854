"""A small JSON server with numbers and truths in its messages, and faults that break
its contract (tests/fixtures/tally/asyncapi.yaml) where only the contract check sees it.

``python -m tests.servers.tally --port 0 [--fault NAME]`` prints its URL and serves
until SIGTERM. Every message is a JSON object with an ``op``:

* ``{"op": "add", "amount": N, "loud": B}`` is answered ``{"op": "added", "amount": N,
  "loud": B, "total": T}``, ``T`` the connection's running total;
* ``{"op": "ping", "ref": R}`` is answered ``{"op": "pong", "ref": R}``;
* anything else is answered ``{"op": "error", "reason": "..."}``.

Faults (:data:`FAULTS`) send frames the contract does not have. ``late-on-close`` is
served on a raw socket (:mod:`tests.servers.misbehaving`): websockets answers a close at
once, and this fault sends a frame between the client's close and its answer, after
every step of a scenario has ended.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

from tests.servers.misbehaving import frame, handshake
from wsharness.runtime.signals import watch_for_stop

FAULTS = {
    "late-on-close": "answers the first message with a sum of 1, and the close with a bad sum",
    "proof-echo": "the answer after a ping carries the ping's ref in a field of its own",
}

LATE = {"op": "added", "amount": "lots", "loud": False, "total": 0}
"""What ``late-on-close`` sends once the client has asked to close: a text amount."""


class Tally:
    """One connection's total, and the answers to its messages."""

    def __init__(self, fault: str | None) -> None:
        self.fault = fault
        self.total = 0
        self.last_ref: str | None = None

    def answer(self, text: str) -> list[dict[str, Any]]:
        try:
            request = json.loads(text)
        except ValueError:
            return [{"op": "error", "reason": "not JSON"}]
        op = request.get("op") if isinstance(request, dict) else None
        if op == "ping":
            self.last_ref = request.get("ref")
            return [{"op": "pong", "ref": request.get("ref")}]
        if op != "add":
            return [{"op": "error", "reason": f"unknown op {op!r}"}]
        amount = request.get("amount")
        self.total += amount if isinstance(amount, int) else 0
        added: dict[str, Any] = {"op": "added", "amount": amount, "loud": request.get("loud")}
        if self.fault == "proof-echo" and self.last_ref is not None:
            added = {"note": self.last_ref, **added}
        return [{**added, "total": self.total}]


async def late_on_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer the first message with a sum of 1, whatever it said; answer the client's
    close with :data:`LATE`, then the close."""
    try:
        await handshake(reader, writer)
        if (await reader.read(2**16))[:1] == b"\x88":  # a close first: a health check
            writer.write(frame(0x8, (1000).to_bytes(2, "big"), fin=True))
            await writer.drain()
            return
        sum_of_one = {"op": "added", "amount": 1, "loud": False, "total": 1}
        writer.write(frame(0x1, json.dumps(sum_of_one).encode(), fin=True))
        await writer.drain()
        await reader.read(2**16)  # what the client sends next is its close frame
        writer.write(frame(0x1, json.dumps(LATE).encode(), fin=True))
        writer.write(frame(0x8, (1000).to_bytes(2, "big"), fin=True))
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def run(port: int, fault: str | None) -> None:
    async def handler(connection: ServerConnection) -> None:
        tally = Tally(fault)
        async for text in connection:
            for answer in tally.answer(str(text)):
                await connection.send(json.dumps(answer))

    stopped = watch_for_stop()
    if fault == "late-on-close":
        raw = await asyncio.start_server(late_on_close, "127.0.0.1", port)
        print(f"ws://127.0.0.1:{raw.sockets[0].getsockname()[1]}", flush=True)
        await stopped
        raw.close()
        return
    async with serve(handler, "127.0.0.1", port) as server:
        print(f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
        await stopped


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.servers.tally")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fault", choices=sorted(FAULTS))
    args = parser.parse_args()
    asyncio.run(run(args.port, args.fault))


if __name__ == "__main__":
    main()
