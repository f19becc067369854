"""Harness benchmarks, run as their own process against a running chat server; each prints
one JSON line (:mod:`bench.results`), and only the harness's public API is used.

``roundtrip URL --client testwebsocket|sync|asyncio`` times sequential echo round trips
from a blocking caller through :class:`~wsharness.TestWebSocket` (as a test writes them),
the ``websockets`` blocking client (what a test would use without the harness) or its
asyncio client (the library with no thread hand-off at all); ``held URL --held N``, through
a ``TestWebSocket`` that already holds N messages; ``crowd URL --clients N`` does what the
``@load`` feature does, through :class:`acceptance.chat.ChatCast`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time

from websockets.asyncio.client import connect as async_connect
from websockets.sync.client import connect as sync_connect

from acceptance import chat
from acceptance.chat import ChatCast
from bench.processes import rss_kib
from bench.results import Crowd, Result, RoundTrips, result_line
from wsharness import TestWebSocket
from wsharness.loop import new_event_loop


def roundtrip(url: str, client: str, count: int) -> RoundTrips:
    """``count`` sequential echo round trips through ``client``."""
    if client == "testwebsocket":
        return held_waits(url, 1, count)  # the warm-up: open before the clock starts
    requests, replies = echo_requests(count)
    if client == "sync":
        seconds = _sync_round_trips(url, requests, replies)
    else:
        # On the same kind of loop as TestWebSocket's, so only the harness differs.
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            seconds = runner.run(_asyncio_round_trips(url, requests, replies))
    return RoundTrips(held=0, round_trips=count, per_second=count / seconds)


def echo_requests(count: int) -> tuple[list[str], list[str]]:
    """``count`` ECHO requests, encoded up front, and the replies each one gets."""
    replies = [f"round trip {n}" for n in range(count)]
    return [json.dumps(chat.echo(reply)) for reply in replies], replies


def held_waits(url: str, held: int, count: int) -> RoundTrips:
    """``count`` round trips awaited with ``wait_for_message`` after ``held`` messages."""
    requests, replies = echo_requests(count)
    with TestWebSocket(url, name="bench") as client:
        fill_history(client, held)
        started = time.perf_counter()
        for request, reply in zip(requests, replies, strict=True):
            client.send(request)
            client.wait_for_message(reply)
        seconds = time.perf_counter() - started
        if client.received_count != held + count:
            raise RuntimeError(f"expected {held + count} messages, got {client.received_count}")
    return RoundTrips(held=held, round_trips=count, per_second=count / seconds)


def fill_history(client: TestWebSocket, held: int) -> None:
    """Have ``client`` receive exactly ``held`` messages (and keep them all): three per
    ECHO_TIMES_3, one per ECHO, the last an ECHO whose reply, once awaited, shows that every
    earlier reply has arrived, because the server answers one connection's requests in order.
    """
    if held < 1:
        raise ValueError(f"held must be 1 or more, not {held}")
    triples, singles = divmod(held - 1, 3)
    for n in range(triples):
        client.send_json(chat.echo_times_3(f"held {n}"))
    for n in range(singles):
        client.send_json(chat.echo(f"held single {n}"))
    client.send_json(chat.echo("history filled"))
    client.wait_for_message("history filled")
    if client.received_count != held or len(client.messages) != held:
        raise RuntimeError(f"{client.name} holds {len(client.messages)} messages, not {held}")


def _sync_round_trips(url: str, requests: list[str], replies: list[str]) -> float:
    with sync_connect(url, compression=None) as client:
        started = time.perf_counter()
        for request, reply in zip(requests, replies, strict=True):
            client.send(request)
            assert client.recv(timeout=10) == reply
        return time.perf_counter() - started


async def _asyncio_round_trips(url: str, requests: list[str], replies: list[str]) -> float:
    async with async_connect(url, compression=None) as client:
        started = time.perf_counter()
        for request, reply in zip(requests, replies, strict=True):
            await client.send(request)
            assert await asyncio.wait_for(client.recv(), 10) == reply
        return time.perf_counter() - started


def crowd(url: str, clients: int) -> Crowd:
    """Open ``clients`` people, group them, post once, everyone hears it."""
    rss_before = rss_kib()
    cast = ChatCast([url])
    names = [f"Guest {n}" for n in range(clients)]
    started = time.perf_counter()
    cast.connect(["Host"])
    cast.has_created("Host", "crowd")
    cast.connect(names)
    opened = time.perf_counter()
    cast.join_together(names, "crowd")
    joined = time.perf_counter()
    cast.post("Host", "hello, crowd", "crowd")
    cast.members_receive("crowd", "hello, crowd")
    heard = time.perf_counter()
    threads = threading.active_count()
    rss_after = rss_kib()
    cast.close_all()
    return Crowd(
        clients=clients,
        open_s=opened - started,
        join_s=joined - opened,
        receive_s=heard - joined,
        total_s=heard - started,
        rss_mib=(rss_after - rss_before) / 1024,
        threads=threads,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.harness")
    parser.add_argument("scenario", choices=["roundtrip", "held", "crowd"])
    parser.add_argument("url")
    parser.add_argument("--client", choices=["testwebsocket", "sync", "asyncio"])
    parser.add_argument("--count", type=int, default=2000, help="round trips")
    parser.add_argument("--held", type=int, default=1000, help="messages held before timing")
    parser.add_argument("--clients", type=int, default=1000)
    args = parser.parse_args(argv)
    result: Result
    if args.scenario == "roundtrip":
        result = roundtrip(args.url, args.client or "testwebsocket", args.count)
    elif args.scenario == "held":
        result = held_waits(args.url, args.held, args.count)
    else:
        result = crowd(args.url, args.clients)
    print(result_line(result), flush=True)


if __name__ == "__main__":
    main()
