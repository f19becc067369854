"""What each benchmark process reports, as typed values.

The load generator and the harness runs are separate processes (each pinned to
its own core); each prints one of these as one JSON line, and the driver reads
it back into the same type with :func:`read_result`, so both sides agree on
every field's name and type.
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


Result = EchoLatency | EchoThroughput | Fanout | ConnectionsOpened | RoundTrips | HeldWaits | Crowd
R = TypeVar(
    "R", EchoLatency, EchoThroughput, Fanout, ConnectionsOpened, RoundTrips, HeldWaits, Crowd
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
