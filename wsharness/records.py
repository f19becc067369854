"""What a client saw and did, with arrival times, for waits and transcripts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Literal
from urllib.parse import unquote_plus

Data = str | bytes
"""A WebSocket message: ``str`` for a text frame, ``bytes`` for a binary frame."""

EventKind = Literal["open", "sent", "received", "close", "error"]
ARROWS = {"sent": "→", "received": "←"}
"""How a transcript, and a conversation told as text, mark a frame's way (others: ``·``)."""


@dataclass(frozen=True, slots=True)
class Received:
    """One message a client received: ``seq`` counts from 0 and is never reset, ``at`` is the
    :func:`time.monotonic` arrival time. Slotted: a client may hold a hundred thousand."""

    seq: int
    data: Data
    at: float
    kind: ClassVar[EventKind] = "received"
    """As an :class:`Event` of a transcript, which holds the record itself."""
    detail: ClassVar[str] = ""

    def describe(self, since: float) -> str:
        """The message as one transcript line, timed in ms since ``since``."""
        return _transcript_line(self.kind, self.at, self.data, self.detail, since)


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a client's transcript."""

    kind: EventKind
    at: float
    data: Data | None = None
    detail: str = ""

    def describe(self, since: float) -> str:
        """The event as one transcript line, timed in ms since ``since``."""
        return _transcript_line(self.kind, self.at, self.data, self.detail, since)


def _transcript_line(kind: str, at: float, data: Data | None, detail: str, since: float) -> str:
    arrow = ARROWS.get(kind, "·")
    text = describe_data(data) if data is not None else kind
    if detail:
        text = f"{text} {detail}"
    return f"{(at - since) * 1000:9.1f} ms {arrow} {text}"


def describe_data(data: Data, limit: int = 200) -> str:
    """A message as it reads in an error: quoted text, or binary marked as such."""
    if isinstance(data, bytes):
        shown = data[:32].hex(" ")
        more = " ..." if len(data) > 32 else ""
        return f"<binary, {len(data)} bytes: {shown}{more}>"
    quoted = repr(data)
    return quoted if len(quoted) <= limit else quoted[: limit - 4] + "...'"


_QUERY_PARAMETER = re.compile(r"(?<=[?&])([^=&#]*)=([^&#]*)")
SECRET_PARAMETERS = frozenset({"token", "access_token"})
"""Query parameters whose values are never shown, compared decoded and in any case."""


def describe_url(url: str) -> str:
    """A URL as it may be shown: a token in its query reads ``token=***`` (also when
    its name is percent-encoded, as ``%74oken``, which a server decodes)."""

    def hide(match: re.Match[str]) -> str:
        secret = unquote_plus(match[1]).lower() in SECRET_PARAMETERS
        return f"{match[1]}=***" if secret else match[0]

    return _QUERY_PARAMETER.sub(hide, url)
