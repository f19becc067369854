"""Load scenarios against a server, run as their own process.

``python -m bench.loadgen SCENARIO URL --protocol chat|plain [options]`` prints one
JSON line with the results. ``chat`` speaks our server's protocol (requests in
JSON envelopes, groups); ``plain`` speaks to :mod:`bench.ceiling` (the text
itself is echoed or broadcast). The replies a client receives are the same
text in both, so both servers send the same bytes.

``fanout`` also takes several URLs, the nodes of one cluster: the members
alternate between them (the first member, who posts, on the first node), so
half of every post's deliveries, with two nodes, go through the broker.
``--server-pid`` may be given once per process (nodes and broker); the CPU
time reported is theirs together.

The generator runs in its own process (pinned to its own core by
:mod:`bench.processes`) on uvloop when it is installed, and uses :mod:`bench.rawws`,
so it spends far less CPU per message than the server under test.
Every scenario is bounded in count and time and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from bench.ceiling import FANOUT_PATH
from bench.processes import cpu_seconds
from bench.rawws import RawClient, text_frame
from bench.results import ConnectionsOpened, Echoes, EchoThroughput, Fanout, Result, result_line
from wsharness.runtime.loops import loop_factory

GROUP = "bench hall"
OPEN_CONCURRENCY = 100
"""Handshakes in flight at once: well inside the servers' listen backlog (100)."""
PAYLOAD = "The quick brown fox jumps over the lazy dog"
SCENARIO_TIMEOUT = 300.0
"""No scenario runs longer than this, in seconds."""


class Protocol:
    """How to ask one kind of server for an echo, a group and a post."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def echo(self, text: str) -> bytes:
        if self.kind == "plain":
            return text_frame(text)
        return text_frame(json.dumps({"type": "ECHO", "value": text}))

    def fanout_url(self, url: str) -> str:
        return url + FANOUT_PATH if self.kind == "plain" else url

    def post(self, text: str) -> bytes:
        if self.kind == "plain":
            return text_frame(text)
        value = {"groupName": GROUP, "groupMessage": text}
        return text_frame(json.dumps({"type": "MESSAGE_GROUP", "value": value}))


async def open_many(
    urls: Sequence[str], count: int, on_message: Callable[[RawClient, bytes], None]
) -> list[RawClient]:
    """Open ``count`` connections, connection n to ``urls[n % len(urls)]``, at most
    :data:`OPEN_CONCURRENCY` handshakes at once."""
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def one(url: str) -> RawClient:
        async with gate:
            return await asyncio.wait_for(RawClient.connect(url, on_message), 30)

    return list(await asyncio.gather(*(one(urls[n % len(urls)]) for n in range(count))))


async def close_all(clients: list[RawClient], within: float = 10.0) -> None:
    """Send every close frame, then wait (bounded) for the server to close TCP."""
    for client in clients:
        client.close()
    pending = [client.closed for client in clients]
    if pending:
        await asyncio.wait(pending, timeout=within)


def p50_p99(samples: Sequence[float]) -> tuple[float, float]:
    """The median and the 99th percentile (within the samples' range)."""
    return statistics.median(samples), statistics.quantiles(samples, n=100, method="inclusive")[98]


async def echoes(url: str, protocol: Protocol, count: int, within: float = math.inf) -> Echoes:
    """One client's sequential round trips: ``count`` of them, or as many as start
    within ``within`` seconds (each reply may take that long, and 10 s more)."""
    waiting: list[asyncio.Future[None]] = []

    def on_message(_client: RawClient, _payload: bytes) -> None:
        waiting.pop().set_result(None)

    (client,) = await open_many([url], 1, on_message)
    loop = asyncio.get_running_loop()
    frame = protocol.echo(PAYLOAD)
    samples: list[float] = []
    deadline = time.perf_counter() + within
    reply_timeout = (within if math.isfinite(within) else 0) + 10
    while len(samples) < count and time.perf_counter() < deadline:
        reply = loop.create_future()
        waiting.append(reply)
        started = time.perf_counter()
        client.write(frame)
        await asyncio.wait_for(reply, reply_timeout)
        samples.append(time.perf_counter() - started)
    await close_all([client])
    p50, p99 = p50_p99(samples)
    return Echoes(round_trips=len(samples), p50_ms=p50 * 1e3, p99_ms=p99 * 1e3)


async def echo_throughput(
    url: str,
    protocol: Protocol,
    connections: int,
    in_flight: int,
    duration: float,
    server_pids: Sequence[int] = (),
) -> EchoThroughput:
    """``connections`` clients keep ``in_flight`` echoes outstanding for ``duration`` s."""
    frame = protocol.echo(PAYLOAD)
    counting = False
    sending = True
    counted = 0

    def on_message(client: RawClient, _payload: bytes) -> None:
        nonlocal counted
        if counting:
            counted += 1
        if sending:
            client.write(frame)

    clients = await open_many([url], connections, on_message)
    for client in clients:
        for _ in range(in_flight):
            client.write(frame)
    await asyncio.sleep(min(1.0, duration / 5))  # warm-up, not counted
    counting = True
    started, cpu_before = time.perf_counter(), server_cpu(server_pids)
    await asyncio.sleep(duration)
    counting = False
    elapsed, cpu = time.perf_counter() - started, server_cpu(server_pids) - cpu_before
    sending = False
    await close_all(clients)
    return EchoThroughput(
        per_second=counted / elapsed, server_cpu_us=cpu / counted * 1e6 if server_pids else None
    )


async def fanout(
    urls: Sequence[str],
    protocol: Protocol,
    members: int,
    posts: int,
    server_pids: Sequence[int] = (),
) -> Fanout:
    """``members`` clients in one group, alternating between ``urls``; the first
    posts ``posts`` times, each after the previous post reached everyone; times
    post-to-last-delivery."""
    delivered = 0
    target = 0
    everyone: asyncio.Future[None] | None = None
    replies: dict[RawClient, asyncio.Future[bytes]] = {}

    def on_message(client: RawClient, payload: bytes) -> None:
        nonlocal delivered
        if client in replies:
            replies.pop(client).set_result(payload)
            return
        delivered += 1
        if delivered == target and everyone is not None:
            everyone.set_result(None)

    loop = asyncio.get_running_loop()
    clients = await open_many([protocol.fanout_url(url) for url in urls], members, on_message)
    if protocol.kind == "chat":
        await join_group(clients, replies)
    sender = clients[0]
    samples = []
    started, cpu_before = time.perf_counter(), server_cpu(server_pids)
    for number in range(posts):
        everyone = loop.create_future()
        target = members * (number + 1)
        posted = time.perf_counter()
        sender.write(protocol.post(f"post {number}"))
        await asyncio.wait_for(everyone, 30)
        samples.append(time.perf_counter() - posted)
    elapsed, cpu = time.perf_counter() - started, server_cpu(server_pids) - cpu_before
    await close_all(clients)
    p50, p99 = p50_p99(samples)
    return Fanout(
        members=members,
        posts=posts,
        deliveries_per_second=members * posts / elapsed,
        server_cpu_us=cpu / (members * posts) * 1e6 if server_pids else None,
        p50_ms=p50 * 1e3,
        p99_ms=p99 * 1e3,
    )


def server_cpu(pids: Sequence[int]) -> float:
    """The CPU seconds the server's processes have used so far (0 when none is known)."""
    return sum(cpu_seconds(pid) for pid in pids)


async def join_group(
    clients: list[RawClient], replies: dict[RawClient, asyncio.Future[bytes]]
) -> None:
    loop = asyncio.get_running_loop()
    first, *rest = clients
    replies[first] = loop.create_future()
    first.write(text_frame(json.dumps({"type": "CREATE_GROUP", "value": GROUP})))
    assert (await asyncio.wait_for(replies[first], 10)).startswith(b"GROUP_CREATED")
    waits = []
    join = text_frame(json.dumps({"type": "JOIN_GROUP", "value": GROUP}))
    for client in rest:
        replies[client] = reply = loop.create_future()
        waits.append(reply)
        client.write(join)
    for payload in await asyncio.wait_for(asyncio.gather(*waits), 30):
        assert payload.startswith(b"GROUP_JOINED"), payload


async def connections(url: str, count: int) -> ConnectionsOpened:
    """Open ``count`` idle connections, report the time, then hold them open until
    a line arrives on stdin (so the caller can measure the server), then close."""
    started = time.perf_counter()
    clients = await open_many([url], count, lambda _client, _payload: None)
    opened = time.perf_counter() - started
    result = ConnectionsOpened(opened_s=opened)
    print(result_line(result), flush=True)
    loop = asyncio.get_running_loop()
    await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), 60)
    await close_all(clients)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    parser.add_argument("scenario", choices=["latency", "throughput", "fanout", "connections"])
    parser.add_argument("urls", nargs="+", metavar="URL", help="several only for fanout")
    parser.add_argument("--protocol", choices=["chat", "plain"], default="chat")
    parser.add_argument("--count", type=int, default=5000, help="round trips or connections")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--in-flight", type=int, default=10)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument(
        "--server-pid",
        type=int,
        action="append",
        default=[],
        help="to measure the server's CPU time (repeatable: nodes and broker)",
    )
    args = parser.parse_args(argv)
    if len(args.urls) > 1 and (args.scenario != "fanout" or args.protocol != "chat"):
        parser.error("several URLs are the nodes of a chat cluster: fanout --protocol chat only")
    print_result(run_scenario(args))


def print_result(scenario: Coroutine[Any, Any, Result]) -> None:
    """Run ``scenario`` on uvloop when it is installed; print its result as one JSON line."""
    _, new_loop = loop_factory("auto")
    with asyncio.Runner(loop_factory=new_loop) as runner:
        result = runner.run(scenario)
    print(result_line(result), flush=True)


async def run_scenario(args: argparse.Namespace) -> Result:
    """The scenario the command line names, stopped after :data:`SCENARIO_TIMEOUT`."""
    protocol = Protocol(args.protocol)
    (url, *_), pids = args.urls, args.server_pid
    async with asyncio.timeout(SCENARIO_TIMEOUT):
        if args.scenario == "latency":
            return await echoes(url, protocol, args.count)
        if args.scenario == "throughput":
            return await echo_throughput(
                url, protocol, args.connections, args.in_flight, args.duration, pids
            )
        if args.scenario == "fanout":
            return await fanout(args.urls, protocol, args.members, args.posts, pids)
        return await connections(url, args.count)


if __name__ == "__main__":
    main()
