"""Harness benchmarks, run as their own process against a running chat server.

``python -m bench.harness roundtrip URL --client testwebsocket|sync|asyncio``
times sequential echo round trips from a blocking caller: through
:class:`~wsharness.TestWebSocket`, through the ``websockets`` blocking client
(what a test would use without the harness), or through the ``websockets``
asyncio client on one thread, on the same kind of loop as the harness's (the
library with no thread hand-off at all).

``python -m bench.harness crowd URL --clients N`` does what the ``@load``
feature does, through :class:`acceptance.cast.Cast`: open N clients, put them in
one group, post once and have every one of them hear it; it reports the time of
each phase, the memory it took and the threads it used.
Each prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from typing import Any

from websockets.asyncio.client import connect as async_connect
from websockets.sync.client import connect as sync_connect

from acceptance import chat
from acceptance.cast import ChatCast
from wsharness import TestWebSocket
from wsharness.loop import new_event_loop

Result = dict[str, Any]


def roundtrip(url: str, client: str, count: int) -> Result:
    """``count`` sequential echo round trips; returns round trips per second."""
    requests = [json.dumps(chat.echo(f"round trip {n}")) for n in range(count)]
    replies = [f"round trip {n}" for n in range(count)]
    if client == "testwebsocket":
        seconds = _testwebsocket_round_trips(url, requests, replies)
    elif client == "sync":
        seconds = _sync_round_trips(url, requests, replies)
    else:
        # On the same kind of loop as TestWebSocket's, so only the harness differs.
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            seconds = runner.run(_asyncio_round_trips(url, requests, replies))
    return {"client": client, "round_trips": count, "per_second": count / seconds}


def _testwebsocket_round_trips(url: str, requests: list[str], replies: list[str]) -> float:
    with TestWebSocket(url, name="bench") as client:
        client.wait_until("open")
        started = time.perf_counter()
        for request, reply in zip(requests, replies, strict=True):
            client.send(request)
            client.wait_for_message(reply)
        return time.perf_counter() - started


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


def crowd(url: str, clients: int) -> Result:
    """Open ``clients`` people, group them, post once, everyone hears it."""
    rss_before = rss_mib()
    cast = ChatCast([url])
    names = [f"Guest {n}" for n in range(clients)]
    started = time.perf_counter()
    cast.connect(["Host"])
    cast["Host"].request(chat.create_group(cast.unique_name("crowd")))
    cast["Host"].hear(chat.group_created(cast.unique_name("crowd")))
    cast.join("Host", "crowd")
    cast.connect(names)
    opened = time.perf_counter()
    cast.join_group(names, "crowd")
    joined = time.perf_counter()
    cast["Host"].request(chat.message_group(cast.unique_name("crowd"), "hello, crowd"))
    cast.hear_each(cast.member_names("crowd"), "hello, crowd")
    heard = time.perf_counter()
    threads = threading.active_count()
    rss_after = rss_mib()
    cast.close_all()
    closed = time.perf_counter()
    return {
        "clients": clients,
        "open_s": opened - started,
        "join_s": joined - opened,
        "receive_s": heard - joined,
        "total_s": heard - started,
        "close_s": closed - heard,
        "rss_mib": rss_after - rss_before,
        "threads": threads,
    }


def rss_mib(pid: int | str = "self") -> float:
    """Resident memory of a process in MiB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.harness")
    parser.add_argument("scenario", choices=["roundtrip", "crowd"])
    parser.add_argument("url")
    parser.add_argument("--client", choices=["testwebsocket", "sync", "asyncio"])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.scenario == "roundtrip":
        result = roundtrip(args.url, args.client or "testwebsocket", args.count)
    else:
        result = crowd(args.url, args.clients)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
