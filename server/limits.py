"""What one server accepts, declared once: each limit's default, meaning and option
(:mod:`server.cli` builds ``--max-message-size`` and the rest from the fields)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from server.wire import DEFAULT_MAX_GROUP_NAME

T = TypeVar("T")
N = TypeVar("N", int, float)

DEFAULT_NODE_TIMEOUT = 3.0
"""``--node-timeout``: here, so that ``--help`` needs no redis."""


def checked(
    convert: Callable[[str], T], accept: Callable[[T], bool], wanted: str
) -> Callable[[str], T]:
    """An argparse ``type``: ``convert`` the text, then refuse it in one line
    ("must be WANTED, not TEXT") unless ``accept`` says yes."""

    def parse(text: str) -> T:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {wanted}, not {text}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"must be {wanted}, not {text}")
        return value

    return parse


def checked_number(
    convert: Callable[[str], N], accept: Callable[[N], bool], wanted: str
) -> Callable[[str], N]:
    """:func:`checked` for a number: NaN and infinity are never accepted."""
    return checked(convert, lambda value: math.isfinite(value) and accept(value), wanted)


def zero_is_none(parse: Callable[[str], N]) -> Callable[[str], N | None]:
    """``parse``, where 0 means None (none, forever, the system's autotuning)."""
    return lambda text: parse(text) or None


positive_int = checked_number(int, lambda value: value > 0, "a positive number")
positive_number = checked_number(float, lambda value: value > 0, "a positive number")
positive_seconds = checked_number(float, lambda value: value > 0, "a positive number of seconds")
seconds_or_off = zero_is_none(
    checked_number(float, lambda value: value >= 0, "a number of seconds, 0 or more")
)
bytes_or_autotuning = zero_is_none(
    checked_number(int, lambda value: value >= 0, "a number, 0 or more")
)


def off_or_deflate(text: str) -> bool:
    """Whether to compress: ``off`` or ``deflate``, refused as argparse refuses a choice."""
    if text not in ("off", "deflate"):
        raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from 'off', 'deflate')")
    return text == "deflate"


def limit(default: object, metavar: str, parse: Callable[[str], object], help: str) -> Any:
    """A field of :class:`Limits` with its default and, as its metadata, the rest of
    its option's ``add_argument`` arguments."""
    return field(default=default, metadata={"metavar": metavar, "type": parse, "help": help})


@dataclass(frozen=True)
class Limits:
    """What one server accepts. Each field is an option too, where 0 means None (no
    limit, forever, the system's autotuning)."""

    max_message_size: int = limit(
        2**20,
        "BYTES",
        positive_int,
        "close connections sending larger messages with 1009 (default: 1 MiB)",
    )
    max_group_name: int = limit(
        DEFAULT_MAX_GROUP_NAME,
        "CHARS",
        positive_int,
        "longest group name accepted (default: %(default)s)",
    )
    max_connections: int = limit(
        10_000,
        "N",
        positive_int,
        "refuse connections beyond N with HTTP 503; handshakes in progress are held to N "
        "too, and to what the open-file limit allows, the oldest dropped to make room "
        "(default: %(default)s)",
    )
    max_queued_bytes: int = limit(
        4 * 2**20,
        "BYTES",
        positive_int,
        "cut off, with close code 1013, a connection that would have more than BYTES "
        "of messages from others (and pongs written meanwhile) waiting to be sent to it, "
        "because it reads too slowly (default: 4 MiB; at least --max-message-size)",
    )
    max_rate: float | None = limit(
        None,
        "N",
        positive_number,
        "answer requests beyond N per second from one connection (bursts of N allowed) "
        "with an ERROR reply instead of handling them, and close a connection that pings "
        "faster than that with code 1008 (default: no limit)",
    )
    receive_buffer: int | None = limit(
        64 * 2**10,
        "BYTES",
        bytes_or_autotuning,
        "each connection's kernel receive buffer, which bounds how much of one "
        "client's input is handled before others get a turn; 0 leaves the system's "
        "autotuning (default: %(default)s)",
    )
    open_timeout: float = limit(
        10.0,
        "SECONDS",
        positive_seconds,
        "close connections whose TLS and WebSocket handshakes are not done within "
        "SECONDS (default: %(default)g)",
    )
    ping_interval: float | None = limit(
        20.0,
        "SECONDS",
        seconds_or_off,
        "send a keepalive ping every SECONDS; 0 sends none (default: %(default)g)",
    )
    ping_timeout: float | None = limit(
        20.0,
        "SECONDS",
        seconds_or_off,
        "drop a connection whose ping is not answered within SECONDS; 0 waits forever "
        "(default: %(default)g)",
    )
    # Off by default: a small compressed frame can inflate to a max_message_size request,
    # and each compressed connection holds about 20 KiB more (docs/performance.md).
    compression: bool = limit(
        False,
        "{off,deflate}",
        off_or_deflate,
        "agree to permessage-deflate when a client offers it (default: off; see "
        "docs/protocol.md for what it costs)",
    )

    def __post_init__(self) -> None:
        if self.max_queued_bytes < self.max_message_size:
            raise ValueError(
                f"max_queued_bytes ({self.max_queued_bytes}) must be at least "
                f"max_message_size ({self.max_message_size}), or one large message "
                "would cut its recipients off"
            )
