"""Where our echo costs more than the library's: the same server, one layer at a time.

``python -m bench.ladder`` measures the server CPU time per echo (100
connections, 10 in flight, as in the main benchmark) of four servers, in
alternating rounds:

1. ``library``: the ceiling's echo, ``await send(message)`` (of the whole request);
2. ``+ parse``: the same, after :func:`server.wire.parse_command` on each message;
3. ``+ rules``: the same, sending what :meth:`server.chat.Chat.handle` returns;
4. ``ours``: the chat server itself (``python -m server``), which adds only
   logging and limits on top of step 3.

Each step's cost is the difference to the one before. ``python -m bench.ladder
serve MODE`` runs one of the first three servers (it prints its URL first).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager
from statistics import median
from typing import cast

from websockets.asyncio.server import ServerConnection

from bench.ceiling import serve_until_stopped
from bench.processes import LOAD_CPU, load, server, turns
from bench.report import table
from bench.results import EchoThroughput
from server.chat import Chat, Delivery
from server.wire import parse_command
from wsharness import ServerProcess
from wsharness.runtime.loops import loop_factory

STEPS = ("library", "+ parse", "+ rules", "ours")


async def serve_step(step: str) -> None:
    chat: Chat[ServerConnection] = Chat()  # in memory: its answers are lists, never awaited

    async def handler(connection: ServerConnection) -> None:
        async for message in connection:
            if step == "library":
                await connection.send(message)
            elif step == "+ parse":
                command = parse_command(message)
                await connection.send(getattr(command, "value", ""))
            else:
                deliveries = chat.handle(connection, parse_command(message))
                for delivery in cast(list[Delivery[ServerConnection]], deliveries):
                    await connection.send(delivery.text)

    await serve_until_stopped(handler, "127.0.0.1", 0)


def measure(rounds: int, seconds: float) -> dict[str, list[float]]:
    """Server CPU µs per echo for each step, ``rounds`` alternating rounds."""
    costs: dict[str, list[float]] = {step: [] for step in STEPS}
    for round_label, step in turns(rounds, STEPS):
        print(f"… ladder round {round_label}: {step}", file=sys.stderr, flush=True)
        with step_server(step) as process:
            result = load(EchoThroughput, "loadgen throughput", process, "ours", duration=seconds)
        assert result.server_cpu_us is not None
        costs[step].append(result.server_cpu_us)
    return costs


def step_server(step: str) -> AbstractContextManager[ServerProcess]:
    """The server of one step, pinned to the server core; ``ours`` is the chat server."""
    command = None if step == "ours" else [sys.executable, "-m", "bench.ladder", "serve", step]
    return server("ours", "auto", command=command)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ladder", description=__doc__)
    parser.add_argument("serve", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("step", nargs="?", choices=STEPS[:3], help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    if args.serve == "serve":
        _, new_loop = loop_factory("auto")
        with asyncio.Runner(loop_factory=new_loop) as runner:
            runner.run(serve_step(args.step))
        return 0
    costs = measure(args.rounds, args.seconds)
    rows, previous = [], None
    for step in STEPS:
        cost = median(costs[step])
        added = "" if previous is None else f"{cost - previous:+.2f}"
        rows.append([step, f"{cost:.2f}", added])
        previous = cost
    print(f"Server CPU per echo, median of {args.rounds} rounds (load on core {LOAD_CPU})")
    print(table(["server", "CPU µs per echo", "added by this step"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
