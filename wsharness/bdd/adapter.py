"""What the step library asks of the protocol under test.

The library works with any protocol as it is. A :class:`ProtocolAdapter` teaches it
what it cannot know by itself: a round trip that proves nothing else is on its way
(else "nothing else" watches a quiet window), and whether it is a barrier that proves
a wait unmet; names to make unique to each scenario run, so scenarios can run again and
side by side against one server; and, optionally, how a frame reads in the conversation
diagrams. A ping-like request is enough::

    class PingPong(ProtocolAdapter):
        def round_trip(self, token: str) -> RoundTrip:
            return RoundTrip(
                request=json.dumps({"op": "ping", "id": token}),
                reply=json.dumps({"op": "pong", "id": token}),
            )
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wsharness.client import MessageMatcher
from wsharness.records import Data

Rename = Callable[[str], str]
"""Turns a name from feature text into the one used on the wire for this scenario."""


@dataclass(frozen=True)
class RoundTrip:
    """A request to send, and the reply (a message, or a matcher) that proves it
    made the round trip."""

    request: Data
    reply: Data | MessageMatcher


class ProtocolAdapter:
    """The library's defaults: no round trip (quiet windows), no renaming."""

    name = "the protocol"
    """How failure messages refer to the protocol."""

    round_trip_is_barrier = False
    """True if the round trip's reply comes after everything the server sends the
    connection because of requests it handled before, from any connection (on a cluster:
    any node). Then a wait that is not met runs round trips and fails as soon as they
    prove its message is not on its way. Off by default, since a round trip that answers
    only for its own connection would make such a failure wrong: waits run to their timeout."""

    def round_trip(self, token: str) -> RoundTrip | None:
        """A request whose reply proves the server has finished every earlier
        request of the connection, carrying the unique ``token``; None if the
        protocol has none, and then "nothing else" watches a quiet window."""
        return None

    @property
    def has_round_trip(self) -> bool:
        """True if :meth:`round_trip` gives a request (it is asked with an empty token)."""
        return self.round_trip("") is not None

    def outgoing(self, document: Any, rename: Rename) -> Any:
        """A JSON document from a feature, as it goes on the wire."""
        return document

    def expected(self, text: str, rename: Rename) -> str:
        """A message expected in a feature, as it comes off the wire."""
        return text

    def describe(self, frame: Data) -> str | None:
        """A frame as the conversation diagram labels it, in the scenario's words
        (unique names are put back as written afterwards); None, the default, shows it
        as it is, JSON compacted. Called once per row drawn, not per frame."""
        return None
