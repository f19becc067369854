"""What each benchmark process (the load generator, the harness runs) reports: one of these
as one JSON line (:func:`result_line`), read back into the same type by the driver
(:func:`read_result`), so both sides agree on every field. Each holds what a table prints,
or what a test checks the process did.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any, TypeVar

READY = "ready"
"""The line a flooder prints once replies flow, before its result, so the driver can
measure the server meanwhile."""


@dataclass(frozen=True)
class Result:
    """What one process reports."""


R = TypeVar("R", bound=Result)


@dataclass(frozen=True)
class Echoes(Result):
    """One client's sequential echo round trips, stopped early if they took too long."""

    round_trips: int
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class EchoThroughput(Result):
    """Many clients keeping echoes in flight for a fixed time."""

    per_second: float
    server_cpu_us: float | None
    """The server's CPU time per reply, when its process id was given."""


@dataclass(frozen=True)
class Fanout(Result):
    """One member posting to a group, each post awaited by every member."""

    members: int
    posts: int
    deliveries_per_second: float
    server_cpu_us: float | None
    """The server's CPU time per delivery, when its process id was given."""
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class ConnectionsOpened(Result):
    """How long opening the idle connections took, and what each costs the server."""

    opened_s: float
    idle_kib: float


@dataclass(frozen=True)
class RoundTrips(Result):
    """Sequential echo round trips from one blocking caller through one client, which
    already held ``held`` messages."""

    held: int
    round_trips: int
    per_second: float


@dataclass(frozen=True)
class Crowd(Result):
    """N people opened, put in one group, and all reached by one post."""

    clients: int
    open_s: float
    join_s: float
    receive_s: float
    total_s: float
    rss_mib: float
    threads: int


@dataclass(frozen=True)
class Flood(Result):
    """The replies one client pipelining ECHO_TIMES_3 (or pings) got back, and how fast
    it sent."""

    replies: int
    owed: int
    """Three replies per request (one pong per ping): ``replies`` falls short if the
    server lost some."""
    requests_per_second: float


@dataclass(frozen=True)
class SlowReader(Result):
    """Posts to a group with a member who never reads: the server's memory meanwhile,
    and whether the idle member was cut off and everyone else served."""

    posts: int
    posts_per_second: float
    growth_mib: float
    """The server's peak resident size during the posts, less its size before."""
    poster_missing: int
    readers_missing: int
    """Posts the readers together did not receive within the time allowed."""
    idle_cut_off: bool
    idle_received: int
    """Posts the idle member received once it read again."""

    @property
    def others_got_everything(self) -> bool:
        """Whether the poster and every reader received every post."""
        return self.poster_missing == 0 and self.readers_missing == 0


@dataclass(frozen=True)
class PingHoarder(Result):
    """One client pinging as fast as it can without ever reading the pongs: the
    server's memory meanwhile, and whether it was dropped."""

    pings: int
    growth_mib: float
    """The server's peak resident size meanwhile, less its size before."""
    dropped_after: float | None
    """Seconds from the first ping to the connection's end, if it ended."""

    @property
    def dropped(self) -> bool:
        return self.dropped_after is not None


@dataclass(frozen=True)
class CompressionCost(Result):
    """One server's cost of permessage-deflate, offered by every client."""

    compressed: bool
    """Whether the server agreed to compress."""
    idle_kib: float
    """Server memory per idle connection."""
    cpu_us_per_echo: float
    """Server CPU time per echo of a compressible 16 KiB text."""


def result_line(result: Result) -> str:
    """``result`` as one JSON line."""
    return json.dumps(asdict(result))


def read_result(kind: type[R], line: str) -> R:
    """The result a process printed as ``line``; a field missing or extra is an error."""
    document: Any = json.loads(line)
    if not isinstance(document, dict):
        raise ValueError(f"expected a JSON object for {kind.__name__}, not {line[:200]!r}")
    expected = {field.name for field in fields(kind)}
    if set(document) != expected:
        raise ValueError(
            f"{kind.__name__} needs the fields {sorted(expected)}, got {sorted(document)}"
        )
    return kind(**document)
