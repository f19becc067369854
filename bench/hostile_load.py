"""Hostile clients, run as their own process: a flooder, and a member who never reads.

``python -m bench.hostile_load flood URL --protocol chat|plain [--pings]`` opens
one connection that pipelines ECHO_TIMES_3 requests (``/times3`` on the ceiling),
or with ``--pings`` pings of 125 bytes, as fast as the server takes them and reads
every reply (or pong). It prints :data:`FLOODING`
once replies flow, floods until a line arrives on stdin, then stops sending,
waits (bounded) for every reply it is owed and prints what it sent and received
(a :class:`bench.results.Flood`). It runs at a lower priority (nice 10), so that
an observer measured on the same core is never kept waiting by the generator
itself, only by the server.

``python -m bench.hostile_load observe URL --protocol chat|plain --count N
--within SECONDS`` times ``N`` sequential echoes, or as many as fit in the time
(a :class:`bench.results.Echoes`).

``python -m bench.hostile_load slow-reader URL --protocol chat|plain --posts N
--size BYTES --readers K --server-pid PID`` puts a poster, ``K`` readers and one
member who completes the handshake and then never reads into one group; the
poster posts ``N`` messages of ``BYTES`` bytes as fast as the server takes them.
It reports the server's peak memory growth meanwhile, whether every reader and
the poster received every post, and whether the idle member was cut off (a
:class:`bench.results.SlowReader`).

``python -m bench.hostile_load ping-hoarder URL --server-pid PID --within SECONDS``
pings as fast as the server takes them and never reads a pong, for at most
``SECONDS``: the server's peak memory growth meanwhile, and whether (and when) it
dropped the connection (a :class:`bench.results.PingHoarder`).

``python -m bench.hostile_load compression URL --server-pid PID`` opens idle
connections and times echoes of a compressible text with a client that offers
permessage-deflate (a :class:`bench.results.CompressionCost`).

Each prints its result as one JSON line (:func:`bench.results.result_line`);
every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable

from websockets.asyncio.client import connect
from websockets.frames import Opcode

from bench.ceiling import TIMES3_PATH
from bench.loadgen import (
    PAYLOAD,
    SCENARIO_TIMEOUT,
    Protocol,
    close_all,
    echoes,
    join_group,
    open_many,
    print_result,
)
from bench.processes import cpu_seconds, rss_kib
from bench.rawws import RawClient, client_frame, text_frame
from bench.results import CompressionCost, Flood, PingHoarder, Result, SlowReader

FLOODING = "flooding"
"""The line the flooder prints once replies flow, before its result."""
BATCH = 64
"""Requests written at once by the flooder and the poster."""
OWED_TIMEOUT = 60.0
"""Seconds the flooder and the readers may take to receive what they are owed."""


def times3_frame(protocol: Protocol) -> bytes:
    if protocol.kind == "plain":
        return text_frame(PAYLOAD)
    return text_frame(json.dumps({"type": "ECHO_TIMES_3", "value": PAYLOAD}))


REPLY_SIZE = 2 + len(PAYLOAD.encode())
"""Bytes of one reply frame from the server: a two-byte header and the payload."""
PING_PAYLOAD = 125 * b"p"
"""The largest ping RFC 6455 allows."""
PONG_SIZE = 2 + len(PING_PAYLOAD)


class ByteCounter(RawClient):
    """Counts reply bytes instead of parsing frames: every reply to the flood is
    the same frame, and parsing 300,000 of them a second would make the
    generator, not the server, the bottleneck."""

    def __init__(self, on_message: Callable[[RawClient, bytes], None]) -> None:
        super().__init__(on_message)
        self.reply_size = REPLY_SIZE
        self.bytes_received = 0
        self.enough: asyncio.Future[None] | None = None
        self.expected = 0

    def data_received(self, data: bytes) -> None:
        if self.opened.done():
            self.bytes_received += len(data)
            enough = self.enough
            if enough and not enough.done() and self.bytes_received >= self.expected:
                enough.set_result(None)
        else:
            super().data_received(data)

    @property
    def replies(self) -> int:
        return self.received + self.bytes_received // self.reply_size

    def reach(self, replies: int) -> asyncio.Future[None]:
        """A future done once ``replies`` replies' worth of bytes have arrived."""
        self.expected = replies * self.reply_size
        self.enough = asyncio.get_running_loop().create_future()
        if self.bytes_received >= self.expected:
            self.enough.set_result(None)
        return self.enough


async def flood(url: str, protocol: Protocol, *, pings: bool = False) -> Flood:
    """Pipeline ECHO_TIMES_3 (or pings) until told to stop on stdin; then collect
    every reply (or pong) owed."""
    os.nice(10)
    target = url + TIMES3_PATH if protocol.kind == "plain" and not pings else url
    reply_size, per_request = (PONG_SIZE, 1) if pings else (REPLY_SIZE, 3)
    client = await asyncio.wait_for(ByteCounter.connect(target, lambda _c, _p: None), 30)
    assert isinstance(client, ByteCounter)
    client.reply_size = reply_size
    frame = client_frame(Opcode.PING, PING_PAYLOAD) if pings else times3_frame(protocol)
    chunk = frame * BATCH
    loop = asyncio.get_running_loop()
    stop = loop.run_in_executor(None, sys.stdin.readline)
    sent = 0
    announced = False
    started = time.perf_counter()
    while not stop.done():
        await client.writable()
        client.write(chunk)
        sent += BATCH
        if not announced and client.bytes_received:
            print(FLOODING, flush=True)
            announced = True
        await asyncio.sleep(0)  # let the replies in
    flooded = time.perf_counter() - started
    owed = per_request * sent
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(client.reach(owed), OWED_TIMEOUT)
    await close_all([client])
    return Flood(replies=client.replies, owed=owed, requests_per_second=sent / flooded)


class Counter:
    """Resolves a future once a client has received enough messages; hands the
    replies :func:`bench.loadgen.join_group` waits for to it."""

    def __init__(self) -> None:
        self.targets: dict[RawClient, tuple[int, asyncio.Future[None]]] = {}
        self.replies: dict[RawClient, asyncio.Future[bytes]] = {}

    def on_message(self, client: RawClient, payload: bytes) -> None:
        if client in self.replies:
            self.replies.pop(client).set_result(payload)
        target = self.targets.get(client)
        if target is not None and client.received >= target[0] and not target[1].done():
            target[1].set_result(None)

    def reach(self, client: RawClient, count: int) -> asyncio.Future[None]:
        """A future done once ``client`` has received ``count`` messages in all."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if client.received >= count:
            done.set_result(None)
        else:
            self.targets[client] = (count, done)
        return done


# psutil has no peak resident size (VmHWM) and cannot reset it (clear_refs): /proc by hand.
def memory_kib(pid: int, field: str) -> int:
    """``VmRSS`` or ``VmHWM`` (peak) of a process in KiB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def reset_peak(pid: int) -> bool:
    """Reset the process's peak memory (Linux 4.0+); False if not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


async def slow_reader(
    url: str, protocol: Protocol, posts: int, size: int, readers: int, server_pid: int
) -> SlowReader:
    """A group with a poster, ``readers`` readers and one member who never reads."""
    counter = Counter()
    clients = await open_many([protocol.fanout_url(url)], readers + 2, counter.on_message)
    if protocol.kind == "chat":
        await join_group(clients, counter.replies)
    poster, *listeners, idle = clients
    assert idle.transport is not None
    idle.transport.pause_reading()
    frame = protocol.post("x" * size)
    owed = {client: client.received + posts for client in (poster, *listeners)}
    idle_owed = idle.received + posts
    reset_peak(server_pid)
    rss_before = memory_kib(server_pid, "VmRSS")
    started = time.perf_counter()
    posted = 0
    while posted < posts:
        await poster.writable()
        count = min(BATCH, posts - posted)
        poster.write(frame * count)
        posted += count
        await asyncio.sleep(0)
    everyone = asyncio.gather(*(counter.reach(client, count) for client, count in owed.items()))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(everyone, OWED_TIMEOUT)
    elapsed = time.perf_counter() - started
    peak = memory_kib(server_pid, "VmHWM")
    # Now read what the idle member was sent: all of it (kept), or its close.
    idle.transport.resume_reading()
    await asyncio.wait(
        [idle.closed, counter.reach(idle, idle_owed)],
        timeout=OWED_TIMEOUT,
        return_when=asyncio.FIRST_COMPLETED,
    )
    cut_off = idle.closed.done()
    missing = {client: max(0, count - client.received) for client, count in owed.items()}
    await close_all(clients)
    return SlowReader(
        posts=posts,
        posts_per_second=posts / elapsed,
        growth_mib=(peak - rss_before) / 1024,
        poster_missing=missing[poster],
        readers_missing=sum(missing[reader] for reader in listeners),
        idle_cut_off=cut_off,
        idle_received=idle.received - (idle_owed - posts),
    )


async def ping_hoarder(url: str, server_pid: int, within: float) -> PingHoarder:
    """Ping as fast as the server takes it, never reading a pong, for ``within`` s."""
    client = await asyncio.wait_for(RawClient.connect(url, lambda _c, _p: None), 30)
    assert client.transport is not None
    client.transport.pause_reading()
    chunk = client_frame(Opcode.PING, PING_PAYLOAD) * BATCH
    peak_reset = reset_peak(server_pid)
    rss_before = memory_kib(server_pid, "VmRSS")
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
    peak = memory_kib(server_pid, "VmHWM" if peak_reset else "VmRSS")
    client.transport.abort()
    return PingHoarder(pings=sent, growth_mib=(peak - rss_before) / 1024, dropped_after=ended_after)


COMPRESSIBLE = json.dumps({"type": "ECHO", "value": "chapter three tonight? " * 700})
"""About 16 KiB that deflate shrinks to a few hundred bytes."""


async def compression(url: str, server_pid: int, idle: int, echoes: int) -> CompressionCost:
    """Memory per idle connection and CPU per echo, every client offering deflate."""
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile_load")
    parser.add_argument(
        "scenario", choices=["flood", "observe", "slow-reader", "ping-hoarder", "compression"]
    )
    parser.add_argument("url")
    parser.add_argument("--protocol", choices=["chat", "plain"], default="chat")
    parser.add_argument("--count", type=int, default=1000, help="echoes the observer times")
    parser.add_argument("--within", type=float, default=20.0, help="seconds the observer may take")
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=1024, help="bytes per post")
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--server-pid", type=int, help="to measure the server's memory")
    parser.add_argument("--pings", action="store_true", help="flood with pings")
    parser.add_argument("--idle", type=int, default=500, help="idle connections to weigh")
    args = parser.parse_args(argv)
    if args.scenario in ("slow-reader", "ping-hoarder", "compression") and not args.server_pid:
        parser.error(f"{args.scenario} needs --server-pid")
    print_result(run_scenario(args))


async def run_scenario(args: argparse.Namespace) -> Result:
    """The scenario the command line names, stopped after
    :data:`bench.loadgen.SCENARIO_TIMEOUT`."""
    protocol = Protocol(args.protocol)
    async with asyncio.timeout(SCENARIO_TIMEOUT):
        if args.scenario == "flood":
            return await flood(args.url, protocol, pings=args.pings)
        if args.scenario == "observe":
            return await echoes(args.url, protocol, args.count, args.within)
        if args.scenario == "ping-hoarder":
            return await ping_hoarder(args.url, args.server_pid, args.within)
        if args.scenario == "compression":
            return await compression(args.url, args.server_pid, args.idle, args.count)
        return await slow_reader(
            args.url, protocol, args.posts, args.size, args.readers, args.server_pid
        )


if __name__ == "__main__":
    main()
