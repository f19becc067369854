"""The named people of one scenario ("Alice", "Bob") and what each has heard.

Each :class:`Participant` wraps one :class:`~wsharness.TestWebSocket`. A step
that says someone *hears* a message marks that message as heard, so "hears
nothing else" can fail on anything that arrived and no step accounted for.

"Nothing else" is proven by round trips, not by waiting: :meth:`Cast.settle`
has everyone echo a unique token and wait for it, twice. The server handles
one connection's messages in order, so once a person's first token is back,
the server has finished every request that person sent before it; once every
first token is back, all requests are finished, and a second token per person
then arrives behind anything those requests sent to that person. With
``-D late_window=SECONDS`` the steps also watch that long after the last
request, to catch a server that sends something late from background work.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable

from acceptance import chat
from wsharness import ConnectionLost, TestWebSocket, UnexpectedMessage, settings
from wsharness.client import MessageMatcher
from wsharness.records import Data, Received, describe_data

OPENING_AT_ONCE = 100
"""Handshakes in flight at once when connecting many people (see Cast.connect)."""

TRANSCRIPTS_SHOWN = 20
"""How many people's transcripts a failure prints; a crowd's would drown it."""


class UniqueNames:
    """Makes the names in feature text (groups) unique to one scenario run.

    "book club" in a feature becomes "book club [3f9c2a1e]" on the wire, so
    scenarios can run again, in any order, and beside other runs against one
    long-lived server without meeting each other's groups.
    """

    def __init__(self) -> None:
        self.token = uuid.uuid4().hex[:8]

    def __call__(self, name: str) -> str:
        return f"{name} [{self.token}]"

    def of_length(self, length: int) -> str:
        """A name unique to the scenario with exactly ``length`` characters."""
        if length < len(self.token):
            raise ValueError(f"a unique name needs at least {len(self.token)} characters")
        return (self.token + "n" * length)[:length]


class Participant:
    """One named person in a scenario: a client plus what steps have heard."""

    def __init__(self, name: str, client: TestWebSocket) -> None:
        self.name = name
        self.client = client
        self.last_sent_at = 0.0
        self.closing_expected = False
        """True once a step closed the connection or expects the server to close it."""
        self._heard: set[int] = set()

    def send(self, data: Data) -> None:
        """Send one raw text or binary message."""
        self.client.send(data)
        self.last_sent_at = time.monotonic()

    def request(self, document: object) -> None:
        """Send one JSON request."""
        self.client.send_json(document)
        self.last_sent_at = time.monotonic()

    def hear(self, message: Data) -> Received:
        """Wait for a message equal to ``message`` that no step has heard yet."""
        return self._hear_first(
            lambda record: type(record.data) is type(message) and record.data == message,
            describe_data(message),
        )

    def hear_matching(self, matcher: MessageMatcher, description: str) -> Received:
        """Wait for an unheard message that satisfies ``matcher``."""
        test = matcher.matches if hasattr(matcher, "matches") else matcher
        return self._hear_first(lambda record: bool(test(record.data)), description)

    def hear_count(self, count: int) -> list[Received]:
        """Wait until ``count`` messages no step has heard have arrived, and hear them."""
        self.client.wait_for(
            lambda _record: len(self.unheard()) >= count,
            description=f"{count} messages",
        )
        records = self.unheard()[:count]
        self._heard.update(record.seq for record in records)
        return records

    def unheard(self) -> list[Received]:
        """Messages received that no step has accounted for, oldest first."""
        return [record for record in self.client.received if record.seq not in self._heard]

    def settle(self) -> None:
        """Round-trip a unique echo, so every earlier reply has surely arrived."""
        token = self.send_settle_token()
        if token is not None:
            self.hear(token)

    def send_settle_token(self) -> str | None:
        """Ask for the echo of a unique token; None if the connection was closed on
        purpose. A connection the server closed unexpectedly fails here."""
        if self.client.state == "closed" and self.closing_expected:
            return None
        self.check_connected()
        token = f"settle {uuid.uuid4().hex}"
        self.client.send_json(chat.echo(token))
        return token

    def check_connected(self) -> None:
        """Fail unless the connection is open (or still opening)."""
        if self.client.state == "closed":
            reason = f", {self.client.close_reason!r}" if self.client.close_reason else ""
            raise ConnectionLost(
                f"{self.name}'s connection was closed (code {self.client.close_code}"
                f"{reason}), but no step expected it"
            )

    def assert_heard_everything(self) -> None:
        """Fail if a message arrived that no step has heard."""
        extra = self.unheard()
        if extra:
            listed = "\n".join(f"  {describe_data(record.data)}" for record in extra)
            raise UnexpectedMessage(
                f"{self.name} heard {len(extra)} message{'s' if len(extra) != 1 else ''} "
                f"no step expected:\n{listed}"
            )

    def _hear_first(self, test: Callable[[Received], bool], description: str) -> Received:
        already = any(test(record) for record in self.client.received if record.seq in self._heard)
        record = self.client.wait_for(
            lambda record: record.seq not in self._heard and bool(test(record)),
            description=f"another {description}" if already else description,
        )
        self._heard.add(record.seq)
        return record


class Cast:
    """Everyone in one scenario, by name, all talking to the server at ``url``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.names = UniqueNames()
        self.started_at = time.monotonic()
        self._people: dict[str, Participant] = {}
        self.groups: dict[str, set[str]] = {}
        """Who the scenario expects in each group (feature-text names)."""

    def __contains__(self, name: str) -> bool:
        return name in self._people

    def __getitem__(self, name: str) -> Participant:
        try:
            return self._people[name]
        except KeyError:
            raise AssertionError(
                f"{name} is not in this scenario yet; start with 'Given {name} is connected'"
            ) from None

    @property
    def people(self) -> list[Participant]:
        return list(self._people.values())

    def connect(self, names: Iterable[str]) -> list[Participant]:
        """Open one connection per name and wait until all are open.

        Connections open together, at most :data:`OPENING_AT_ONCE` handshakes
        at a time: a crowd of thousands opening at once would overflow the
        server's listen backlog, and the dropped handshakes would be retried
        only after a second. Everyone is in the cast as soon as their
        connection starts, so a failure to connect one person still leaves the
        others to be closed after the scenario.
        """
        joining = []
        for name in names:
            if name in self._people and self._people[name].client.state != "closed":
                raise AssertionError(f"{name} is already connected")
            joining.append(name)
        people = []
        for start in range(0, len(joining), OPENING_AT_ONCE):
            wave = []
            for name in joining[start : start + OPENING_AT_ONCE]:
                person = Participant(name, TestWebSocket(self.url, name=name))
                self._people[name] = person
                wave.append(person)
            for person in wave:
                person.client.wait_until("open")
            people.extend(wave)
        return people

    def join_group(self, names: Iterable[str], group: str) -> None:
        """Have everyone named join ``group`` and wait until each is told so.

        All requests go out before the first reply is awaited, so a crowd
        joins in about the time the server needs, not one round trip per person.
        """
        wire_name = self.names(group)
        people = [self[name] for name in names]
        for person in people:
            person.request(chat.join_group(wire_name))
        for person in people:
            person.hear(chat.group_joined(wire_name))
            self.join(person.name, group)

    def settle(self) -> None:
        """Two rounds of round trips for everyone (see the module docstring)."""
        for _ in range(2):
            tokens = [(person, person.send_settle_token()) for person in self.people]
            for person, token in tokens:
                if token is not None:
                    person.hear(token)

    @property
    def last_request_at(self) -> float:
        """When anyone in the scenario last sent a request (not counting settling)."""
        return max((person.last_sent_at for person in self.people), default=self.started_at)

    def hold_late_window(self, people: Iterable[Participant]) -> None:
        """The one deliberate wait, off unless ``-D late_window`` is set: watch
        ``people`` until the late window after the last request has passed,
        failing as soon as one of them receives anything."""
        deadline = self.last_request_at + settings.timing().late
        for person in people:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            person.client.assert_no_message(within=remaining)

    def assert_nothing_else(self, people: Iterable[Participant]) -> None:
        """Prove that ``people`` received nothing that no step has heard."""
        checked = list(people)
        self.settle()
        self.hold_late_window(checked)
        for person in checked:
            person.assert_heard_everything()

    def join(self, name: str, group: str) -> None:
        """Record that ``name`` is now in ``group`` (and in no other group)."""
        self.leave(name)
        self.groups.setdefault(group, set()).add(name)

    def leave(self, name: str) -> None:
        """Record that ``name`` is in no group."""
        for members in self.groups.values():
            members.discard(name)

    def members(self, group: str) -> list[Participant]:
        names = self.groups.get(group, set())
        return [person for person in self.people if person.name in names]

    def close_all(self) -> None:
        """Close every connection; used after each scenario, passed or failed."""
        for person in self.people:
            person.client.close()

    def transcripts(self) -> str:
        """The transcripts of the first :data:`TRANSCRIPTS_SHOWN` people, timed from
        the start of the scenario; the rest are counted, not shown."""
        blocks = []
        for person in self.people[:TRANSCRIPTS_SHOWN]:
            lines = [event.describe(self.started_at) for event in person.client.transcript]
            blocks.append(f"{person.name} ({person.client.url}):\n" + "\n".join(lines))
        hidden = len(self._people) - TRANSCRIPTS_SHOWN
        if hidden > 0:
            blocks.append(f"(and {hidden} more people, not shown)")
        return "\n".join(blocks)
