"""What each benchmark process reports, as typed values.

The load generator, the hostile clients and the harness runs are separate
processes (each pinned to its own core); each prints one of these as one JSON
line, and the driver reads it back into the same type with :func:`read_result`,
so both sides agree on every field's name and type.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any, TypeVar


@dataclass(frozen=True)
class EchoLatency:
    """One client's sequential echo round trips."""

    round_trips: int
    p50_us: float
    p99_us: float


@dataclass(frozen=True)
class EchoThroughput:
    """Many clients keeping echoes in flight for a fixed time."""

    replies: int
    seconds: float
    per_second: float
    server_cpu_us: float | None
    """The server's CPU time per reply, when its process id was given."""


@dataclass(frozen=True)
class Fanout:
    """One member posting to a group, each post awaited by every member."""

    members: int
    posts: int
    deliveries_per_second: float
    server_cpu_us: float | None
    """The server's CPU time per delivery, when its process id was given."""
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class ConnectionsOpened:
    """How long opening a number of idle connections took."""

    connections: int
    opened_s: float


@dataclass(frozen=True)
class RoundTrips:
    """Sequential echo round trips from one blocking caller through one client."""

    client: str
    round_trips: int
    per_second: float


@dataclass(frozen=True)
class HeldWaits:
    """Sequential echo round trips awaited with ``wait_for_message`` while the
    client already holds ``held`` messages."""

    held: int
    round_trips: int
    us_per_round_trip: float


@dataclass(frozen=True)
class Crowd:
    """N people opened, put in one group, and all reached by one post."""

    clients: int
    open_s: float
    join_s: float
    receive_s: float
    total_s: float
    close_s: float
    rss_mib: float
    threads: int


@dataclass(frozen=True)
class Flood:
    """What one client pipelining ECHO_TIMES_3 sent, and the replies it got back."""

    requests: int
    replies: int
    owed: int
    """Three replies per request: ``replies`` falls short of it if the server lost some."""
    seconds: float
    requests_per_second: float


@dataclass(frozen=True)
class ObservedEchoes:
    """Sequential echoes timed by one client, stopped early if they took too long."""

    round_trips: int
    seconds: float
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class SlowReader:
    """Posts to a group with a member who never reads: the server's memory meanwhile,
    and whether the idle member was cut off and everyone else served."""

    posts: int
    size: int
    seconds: float
    posts_per_second: float
    growth_mib: float
    """The server's peak resident size during the posts, less its size before."""
    peak_exact: bool
    """Whether the peak could be reset before the posts (else it may be an older peak)."""
    after_mib: float
    poster_missing: int
    readers_missing: int
    """Posts the readers together did not receive within the time allowed."""
    idle_cut_off: bool
    idle_close_code: int | None
    idle_received: int

    @property
    def others_got_everything(self) -> bool:
        """Whether the poster and every reader received every post."""
        return self.poster_missing == 0 and self.readers_missing == 0


@dataclass(frozen=True)
class PingHoarder:
    """One client pinging as fast as it can without ever reading the pongs: the
    server's memory meanwhile, and whether it was dropped."""

    pings: int
    seconds: float
    growth_mib: float
    """The server's peak resident size meanwhile, less its size before."""
    dropped: bool
    dropped_after: float | None
    """Seconds from the first ping to the connection's end, if it ended."""


@dataclass(frozen=True)
class CompressionCost:
    """One server's cost of permessage-deflate, offered by every client."""

    compressed: bool
    """Whether the server agreed to compress."""
    idle_kib: float
    """Server memory per idle connection."""
    cpu_us_per_echo: float
    """Server CPU time per echo of a compressible 16 KiB text."""


Result = (
    EchoLatency
    | EchoThroughput
    | Fanout
    | ConnectionsOpened
    | RoundTrips
    | HeldWaits
    | Crowd
    | Flood
    | ObservedEchoes
    | SlowReader
    | PingHoarder
    | CompressionCost
)
R = TypeVar(
    "R",
    EchoLatency,
    EchoThroughput,
    Fanout,
    ConnectionsOpened,
    RoundTrips,
    HeldWaits,
    Crowd,
    Flood,
    ObservedEchoes,
    SlowReader,
    PingHoarder,
    CompressionCost,
)


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
