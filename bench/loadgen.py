"""Load against a server, run as its own process: ``python -m bench.loadgen SCENARIO URL
[options]`` prints its result as one JSON line (:mod:`bench.results`). ``--protocol chat``
speaks our server's protocol (the driver's requests, :mod:`acceptance.chat`), ``plain``
the ceiling's (:mod:`bench.ceiling`), which gets the same replies. Several URLs are the
nodes of one cluster (``fanout``: the members alternate between them). It runs on uvloop
when installed, over :mod:`bench.rawws`, so it spends far less CPU per message than the
server; every scenario is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import connect
from websockets.frames import Opcode

from acceptance import chat
from bench.ceiling import FANOUT_PATH, TIMES3_PATH
from bench.processes import cpu_seconds, rss_kib
from bench.rawws import OnMessage, RawClient, client_frame, ignore, text_frame
from bench.results import (
    READY,
    CompressionCost,
    ConnectionsOpened,
    Echoes,
    EchoThroughput,
    Fanout,
    Flood,
    PingHoarder,
    Result,
    SlowReader,
    result_line,
)
from wsharness.runtime.loops import loop_factory

GROUP = "bench hall"
OPEN_CONCURRENCY = 100
"""Handshakes in flight at once: well inside the servers' listen backlog (100)."""
PAYLOAD = "The quick brown fox jumps over the lazy dog"
REPLY_SIZE = 2 + len(PAYLOAD.encode())
"""Bytes of one reply frame from the server: a two-byte header and the payload."""
PING_PAYLOAD = 125 * b"p"
"""The largest ping RFC 6455 allows."""
PING = client_frame(Opcode.PING, PING_PAYLOAD)
PONG_SIZE = 2 + len(PING_PAYLOAD)
COMPRESSIBLE = json.dumps(chat.echo("chapter three tonight? " * 700))
"""About 16 KiB that deflate shrinks to a few hundred bytes."""
SCENARIO_TIMEOUT = 300.0
"""No scenario runs longer than this, in seconds."""
BATCH = 64
"""Requests written at once by the flooders, the poster and the hoarder."""
OWED_TIMEOUT = 60.0
"""Seconds the flooder and the readers may take to receive what they are owed."""


def request(document: dict[str, Any]) -> bytes:
    """A chat request as one masked text frame, ready to write."""
    return text_frame(json.dumps(document))


@dataclass(frozen=True)
class Protocol:
    """How to ask one kind of server (``chat`` or ``plain``) for an echo and a post."""

    kind: str

    def echo(self, text: str, *, times: int = 1) -> bytes:
        """An ECHO, or with ``times=3`` an ECHO_TIMES_3 (the ceiling's ``/times3``)."""
        if self.kind == "plain":
            return text_frame(text)
        return request(chat.echo_times_3(text) if times == 3 else chat.echo(text))

    def post(self, text: str) -> bytes:
        if self.kind == "plain":
            return text_frame(text)
        return request(chat.message_group(GROUP, text))

    def url(self, url: str, path: str) -> str:
        """``url``, or for the ceiling its ``path`` of broadcasts or triple echoes."""
        return url + path if self.kind == "plain" else url


async def open_many(
    urls: Sequence[str], count: int, on_message: OnMessage = ignore
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


async def join_group(clients: list[RawClient]) -> None:
    """The first client creates :data:`GROUP` and the others join it."""
    first, *rest = clients
    created = await asyncio.wait_for(first.ask(request(chat.create_group(GROUP))), 10)
    assert created.startswith(b"GROUP_CREATED"), created
    join = request(chat.join_group(GROUP))
    for joined in await asyncio.wait_for(asyncio.gather(*(c.ask(join) for c in rest)), 30):
        assert joined.startswith(b"GROUP_JOINED"), joined


def p50_p99(samples: Sequence[float]) -> tuple[float, float]:
    """The median and the 99th percentile (within the samples' range)."""
    return statistics.median(samples), statistics.quantiles(samples, n=100, method="inclusive")[98]


def server_cpu(pids: Sequence[int]) -> float:
    """The CPU seconds the server's processes have used so far (0 when none is known)."""
    return sum(cpu_seconds(pid) for pid in pids)


async def echoes(url: str, protocol: Protocol, count: int, within: float | None) -> Echoes:
    """One client's sequential round trips: ``count`` of them, or as many as start within
    ``within`` seconds if given (each reply may take 10 s, and that long more)."""
    (client,) = await open_many([url], 1)
    frame = protocol.echo(PAYLOAD)
    samples: list[float] = []
    deadline = math.inf if within is None else time.perf_counter() + within
    while len(samples) < count and time.perf_counter() < deadline:
        started = time.perf_counter()
        await asyncio.wait_for(client.ask(frame), 10 + (within or 0))
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

    def on_message(_client: RawClient, _payload: bytes) -> None:
        nonlocal delivered
        delivered += 1
        if delivered == target and everyone is not None:
            everyone.set_result(None)

    loop = asyncio.get_running_loop()
    clients = await open_many([protocol.url(url, FANOUT_PATH) for url in urls], members, on_message)
    if protocol.kind == "chat":
        await join_group(clients)
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


async def connections(url: str, count: int, server_pid: int) -> ConnectionsOpened:
    """Open ``count`` idle connections: how long it took, and the server's memory for each."""
    rss_before = rss_kib(server_pid)
    started = time.perf_counter()
    clients = await open_many([url], count)
    opened_s = time.perf_counter() - started
    idle_kib = (rss_kib(server_pid) - rss_before) / count
    await close_all(clients)
    return ConnectionsOpened(opened_s=opened_s, idle_kib=idle_kib)


class ByteCounter(RawClient):
    """Counts reply bytes instead of parsing frames: every reply to a flood is the same
    frame, and parsing 300,000 of them a second would make the generator, not the
    server, the bottleneck."""

    def __init__(self, on_message: OnMessage = ignore) -> None:
        super().__init__(on_message)
        self.reply_size = REPLY_SIZE
        self.bytes_received = 0

    def data_received(self, data: bytes) -> None:
        if self.opened.done():
            self.bytes_received += len(data)
            self._check_enough()
        else:
            super().data_received(data)

    @property
    def replies(self) -> int:
        return self.received + self.bytes_received // self.reply_size


async def flood(url: str, protocol: Protocol, *, pings: bool) -> Flood:
    """Pipeline ECHO_TIMES_3 (or pings) until a line arrives on stdin, then collect every
    reply (or pong) owed; at a lower priority (nice 10), so that an observer on the same
    core waits for the server, never for the flooder."""
    os.nice(10)
    target = url if pings else protocol.url(url, TIMES3_PATH)
    client = await asyncio.wait_for(ByteCounter.connect(target), 30)
    client.reply_size, per_request = (PONG_SIZE, 1) if pings else (REPLY_SIZE, 3)
    chunk = (PING if pings else protocol.echo(PAYLOAD, times=3)) * BATCH
    stop = asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    sent = 0
    announced = False
    started = time.perf_counter()
    while not stop.done():
        await client.writable()
        client.write(chunk)
        sent += BATCH
        if not announced and client.bytes_received:
            print(READY, flush=True)
            announced = True
        await asyncio.sleep(0)  # let the replies in
    flooded = time.perf_counter() - started
    owed = per_request * sent
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(client.reach(owed), OWED_TIMEOUT)
    await close_all([client])
    return Flood(replies=client.replies, owed=owed, requests_per_second=sent / flooded)


class PeakGrowth:
    """How far a process's resident size peaks above its size now, from /proc: psutil has
    no peak (VmHWM) and cannot reset it (clear_refs, Linux 4.0+). Where it cannot be reset,
    ``unreset`` is read instead: the peak since the process started, or the size at the end."""

    def __init__(self, pid: int, *, unreset: str = "VmHWM") -> None:
        self.pid = pid
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as clear_refs:
                clear_refs.write("5")
            self.peak = "VmHWM"
        except OSError:
            self.peak = unreset
        self.before = self.kib("VmRSS")

    def kib(self, field: str) -> int:
        """``field`` of the process's /proc status (VmRSS, VmHWM), in KiB."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise RuntimeError(f"no {field} for process {self.pid}")

    def mib(self) -> float:
        """The growth so far, in MiB."""
        return (self.kib(self.peak) - self.before) / 1024


async def slow_reader(
    url: str, protocol: Protocol, posts: int, size: int, readers: int, server_pid: int
) -> SlowReader:
    """A group with a poster, ``readers`` readers and one member who never reads; the
    poster posts as fast as the server takes it."""
    clients = await open_many([protocol.url(url, FANOUT_PATH)], readers + 2)
    if protocol.kind == "chat":
        await join_group(clients)
    poster, *listeners, idle = clients
    assert idle.transport is not None
    idle.transport.pause_reading()
    frame = protocol.post("x" * size)
    owed = {client: client.received + posts for client in (poster, *listeners)}
    idle_owed = idle.received + posts
    growth = PeakGrowth(server_pid)
    started = time.perf_counter()
    posted = 0
    while posted < posts:
        await poster.writable()
        count = min(BATCH, posts - posted)
        poster.write(frame * count)
        posted += count
        await asyncio.sleep(0)
    everyone = asyncio.gather(*(client.reach(count) for client, count in owed.items()))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(everyone, OWED_TIMEOUT)
    elapsed = time.perf_counter() - started
    growth_mib = growth.mib()
    # Now read what the idle member was sent: all of it (kept), or its close.
    idle.transport.resume_reading()
    await asyncio.wait(
        [idle.closed, idle.reach(idle_owed)],
        timeout=OWED_TIMEOUT,
        return_when=asyncio.FIRST_COMPLETED,
    )
    cut_off = idle.closed.done()
    missing = {client: max(0, count - client.received) for client, count in owed.items()}
    await close_all(clients)
    return SlowReader(
        posts=posts,
        posts_per_second=posts / elapsed,
        growth_mib=growth_mib,
        poster_missing=missing[poster],
        readers_missing=sum(missing[reader] for reader in listeners),
        idle_cut_off=cut_off,
        idle_received=idle.received - (idle_owed - posts),
    )


async def ping_hoarder(url: str, server_pid: int, within: float) -> PingHoarder:
    """Ping as fast as the server takes it, never reading a pong, for ``within`` s: the
    server's memory meanwhile, and whether (and when) it dropped the connection."""
    client = await asyncio.wait_for(RawClient.connect(url), 30)
    assert client.transport is not None
    client.transport.pause_reading()
    chunk = PING * BATCH
    growth = PeakGrowth(server_pid, unreset="VmRSS")
    started = time.perf_counter()
    sent = 0
    ended_after = None
    while time.perf_counter() - started < within:
        if client.closed.done():
            ended_after = time.perf_counter() - started
            break
        with contextlib.suppress(TimeoutError):  # held back: keep checking the end
            await asyncio.wait_for(client.writable(), 0.2)
            if not client.closed.done():
                client.write(chunk)
                sent += BATCH
        await asyncio.sleep(0)
    growth_mib = growth.mib()
    client.transport.abort()
    return PingHoarder(pings=sent, growth_mib=growth_mib, dropped_after=ended_after)


async def compression(url: str, server_pid: int, idle: int, echoes: int) -> CompressionCost:
    """Memory per idle connection and CPU per echo of a compressible text, every client
    offering permessage-deflate."""
    rss_before = rss_kib(server_pid)
    clients = [await connect(url, compression="deflate", max_size=None) for _ in range(idle)]
    idle_kib = (rss_kib(server_pid) - rss_before) / idle
    compressed = bool(clients[0].protocol.extensions)
    for client in clients[1:]:
        await client.close()
    echoer = clients[0]
    cpu_before = cpu_seconds(server_pid)
    for _ in range(echoes):
        await echoer.send(COMPRESSIBLE)
        await echoer.recv()
    cpu = cpu_seconds(server_pid) - cpu_before
    await echoer.close()
    return CompressionCost(
        compressed=compressed, idle_kib=idle_kib, cpu_us_per_echo=cpu / echoes * 1e6
    )


NEED_PID = ("connections", "slow-reader", "ping-hoarder", "compression")
"""The scenarios that weigh the server's process."""


DEFAULTS: dict[str, float] = {"count": 5000, "posts": 200}
SCENARIO_DEFAULTS: dict[str, dict[str, float]] = {
    "compression": {"count": 1000},
    "slow-reader": {"posts": 100_000},
    "ping-hoarder": {"within": 20.0},
}
"""What a scenario does when the command line does not say."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    scenarios = ["latency", "throughput", "fanout", "flood", "ping-flood"]
    parser.add_argument("scenario", choices=[*scenarios, *NEED_PID])
    parser.add_argument("urls", nargs="+", metavar="URL", help="several only for fanout")
    parser.add_argument("--protocol", choices=["chat", "plain"], default="chat")
    parser.add_argument(
        "--count", type=int, help="echoes or connections (default 5000; compression 1000)"
    )
    parser.add_argument(
        "--within",
        type=float,
        help="seconds the echoes or pings may take (default: latency no limit; pings 20)",
    )
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--in-flight", type=int, default=10)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--posts", type=int, help="default 200; slow-reader 100000")
    parser.add_argument("--size", type=int, default=1024, help="bytes per post")
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--idle", type=int, default=500, help="idle connections to weigh")
    parser.add_argument(
        "--server-pid",
        type=int,
        action="append",
        default=[],
        help="to weigh the server (repeatable: nodes and broker)",
    )
    args = parser.parse_args(argv)
    for option, default in {**DEFAULTS, **SCENARIO_DEFAULTS.get(args.scenario, {})}.items():
        if getattr(args, option) is None:
            setattr(args, option, default)
    if len(args.urls) > 1 and (args.scenario != "fanout" or args.protocol != "chat"):
        parser.error("several URLs are the nodes of a chat cluster: fanout --protocol chat only")
    if args.scenario in NEED_PID and not args.server_pid:
        parser.error(f"{args.scenario} needs --server-pid")
    _, new_loop = loop_factory("auto")
    with asyncio.Runner(loop_factory=new_loop) as runner:
        result = runner.run(run_scenario(args))
    print(result_line(result), flush=True)


async def run_scenario(args: argparse.Namespace) -> Result:
    """The scenario the command line names, stopped after :data:`SCENARIO_TIMEOUT`."""
    protocol = Protocol(args.protocol)
    (url, *_), pids = args.urls, args.server_pid
    async with asyncio.timeout(SCENARIO_TIMEOUT):
        if args.scenario == "latency":
            return await echoes(url, protocol, args.count, args.within)
        if args.scenario == "throughput":
            return await echo_throughput(
                url, protocol, args.connections, args.in_flight, args.duration, pids
            )
        if args.scenario == "fanout":
            return await fanout(args.urls, protocol, args.members, args.posts, pids)
        if args.scenario == "connections":
            return await connections(url, args.count, pids[0])
        if args.scenario in ("flood", "ping-flood"):
            return await flood(url, protocol, pings=args.scenario == "ping-flood")
        if args.scenario == "slow-reader":
            return await slow_reader(url, protocol, args.posts, args.size, args.readers, pids[0])
        if args.scenario == "ping-hoarder":
            return await ping_hoarder(url, pids[0], args.within)
        return await compression(url, pids[0], args.idle, args.count)


if __name__ == "__main__":
    main()
