"""The named people of one scenario ("Alice", "Bob") and what each has heard.

Each :class:`Participant` wraps one :class:`~wsharness.TestWebSocket`. A step
that says someone *hears* a message accounts for that message, so "hears
nothing else" can fail on anything that arrived and no step accounted for.

"Nothing else" is proven by round trips, not by waiting:
:meth:`Cast.assert_nothing_else` has everyone echo a unique token and wait for
it, twice. The server handles one connection's messages in order, so once a
person's first token is back, the server has finished every request that
person sent before it; once every first token is back, all requests are
finished, and a second token per person then arrives behind anything those
requests sent to that person. With ``-D late_window=SECONDS`` the steps also
watch that long after the last request, to catch a server that sends something
late from background work.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

from hamcrest import assert_that, equal_to

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
    """One named person in a scenario: a client whose messages steps account for.

    A step that says someone *hears* a message takes it from the client
    (:meth:`~wsharness.TestWebSocket.take_message`), so hearing it twice needs two
    copies, and "nothing else" fails on any message still outstanding.
    """

    def __init__(self, name: str, client: TestWebSocket) -> None:
        self.name = name
        self.client = client
        self.last_sent_at = 0.0
        self.closing_expected = False
        """True once a step closed the connection or expects the server to close it."""

    def send(self, data: Data, *, text: bool | None = None) -> None:
        """Send one raw text or binary message (``text=True``: bytes in a text frame)."""
        self.client.send(data, text=text)
        self.last_sent_at = time.monotonic()

    def request(self, document: object) -> None:
        """Send one JSON request."""
        self.client.send_json(document)
        self.last_sent_at = time.monotonic()

    def hear(self, message: Data) -> Received:
        """Wait for one more copy of ``message`` and account for it."""
        return self.client.take_message(message)

    def hear_copies(self, message: Data, count: int) -> None:
        """Wait for ``count`` more copies of ``message`` and account for them."""
        for _ in range(count):
            self.hear(message)

    def hear_matching(self, matcher: MessageMatcher, description: str) -> Received:
        """Wait for one more message that satisfies ``matcher`` and account for it."""
        return self.client.take_match(matcher, description=description)

    def hear_next(self, count: int) -> list[Received]:
        """Wait for the next ``count`` messages and account for them, in order."""
        return self.client.take_messages(count)

    def hear_one_of(self, *messages: str) -> str:
        """Wait for the next copy of any of ``messages``; return the one heard."""
        return str(
            self.hear_matching(lambda data: data in messages, " or ".join(map(repr, messages))).data
        )

    def round_trip(self) -> None:
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

    def disconnect(self, *, abruptly: bool = False) -> None:
        """Close the connection with a closing handshake, or cut it like a crash."""
        self.closing_expected = True
        if abruptly:
            self.client.drop()
        else:
            self.client.close()

    def expect_close(self) -> tuple[int | None, str | None]:
        """Wait for the server to close the connection; return its code and reason."""
        self.closing_expected = True
        self.client.wait_until("close")
        return self.client.close_code, self.client.close_reason

    def assert_heard_everything(self) -> None:
        """Fail if a message arrived that no step has heard."""
        extra = self.client.received
        if extra:
            listed = "\n".join(f"  {describe_data(record.data)}" for record in extra)
            raise UnexpectedMessage(
                f"{self.name} heard {len(extra)} message{'s' if len(extra) != 1 else ''} "
                f"no step expected:\n{listed}"
            )


class Cast:
    """Everyone in one scenario, by name, all talking to the server at ``url``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.unique_name = UniqueNames()
        """``cast.unique_name("book club")`` is the name that goes on the wire."""
        self.started_at = time.monotonic()
        self._people: dict[str, Participant] = {}
        self.groups: dict[str, set[str]] = {}
        """Who the scenario expects in each group (feature-text names)."""

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
        wire_name = self.unique_name(group)
        people = [self[name] for name in names]
        for person in people:
            person.request(chat.join_group(wire_name))
        for person in people:
            person.hear(chat.group_joined(wire_name))
            self.join(person.name, group)

    def hear_each(self, names: Iterable[str], message: Data) -> None:
        """Everyone named hears one more copy of ``message``."""
        for name in names:
            self[name].hear(message)

    def hear_exactly(self, name: str, expected: list[Data]) -> None:
        """``name`` hears exactly ``expected``, in order, and then nothing else."""
        arrived = [record.data for record in self[name].hear_next(len(expected))]
        assert_that(arrived, equal_to(expected), f"the messages {name} received")
        self.assert_nothing_else([self[name]])

    def round_trip_each(self, names: Iterable[str]) -> None:
        """Everyone named is still connected and gets an echo back."""
        for name in names:
            self[name].round_trip()

    def gather_crowd(self, size: int, group: str) -> None:
        """Connect ``size`` guests ("Guest 1", ...) and have them all join ``group``."""
        names = [f"Guest {number}" for number in range(1, size + 1)]
        self.connect(names)
        self.join_group(names, group)

    def assert_nothing_else(self, people: Iterable[Participant]) -> None:
        """Prove that ``people`` received nothing that no step has heard.

        The one way every "nothing else" step proves it: two rounds of round
        trips for everyone (see the module docstring), then the late window,
        then a look at what is still outstanding.
        """
        checked = list(people)
        self._settle_everyone()
        self._hold_late_window(checked)
        for person in checked:
            person.assert_heard_everything()

    def _settle_everyone(self) -> None:
        for _ in range(2):
            tokens = [(person, person.send_settle_token()) for person in self.people]
            for person, token in tokens:
                if token is not None:
                    person.hear(token)

    @property
    def last_request_at(self) -> float:
        """When anyone in the scenario last sent a request (not counting settling)."""
        return max((person.last_sent_at for person in self.people), default=self.started_at)

    def _hold_late_window(self, people: list[Participant]) -> None:
        """The one deliberate wait, off unless ``-D late_window`` is set: watch
        ``people`` until the late window after the last request has passed,
        failing as soon as one of them receives anything."""
        deadline = self.last_request_at + settings.timing().late
        for person in people:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            person.client.assert_no_message(within=remaining)

    def create_group_once_free(self, name: str, group: str) -> None:
        """Have ``name`` create ``group`` as soon as the name is free.

        The protocol does not acknowledge a disconnect, so a freed name shows
        only when creating it succeeds: ask again after each "unavailable"
        reply, until "created" or the timeout. Each try waits for the server's
        reply; nothing sleeps.
        """
        person = self[name]
        wire_name = self.unique_name(group)
        created, unavailable = chat.group_created(wire_name), chat.group_unavailable(wire_name)
        deadline = time.monotonic() + settings.timing().wait
        while True:
            person.request(chat.create_group(wire_name))
            if person.hear_one_of(created, unavailable) == created:
                self.join(name, group)
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f'{name} was still told the group "{group}" is unavailable after '
                    f"{settings.timing().wait:g} s"
                )

    def disconnect(self, name: str, *, abruptly: bool = False) -> None:
        """Close ``name``'s connection (or cut it, like a crash); they leave their group."""
        self[name].disconnect(abruptly=abruptly)
        self.leave(name)

    def join(self, name: str, group: str) -> None:
        """Record that ``name`` is now in ``group`` (and in no other group)."""
        self.leave(name)
        self.groups.setdefault(group, set()).add(name)

    def leave(self, name: str) -> None:
        """Record that ``name`` is in no group."""
        for members in self.groups.values():
            members.discard(name)

    def member_names(self, group: str) -> list[str]:
        """Who the scenario expects in ``group``, in the order they joined the
        scenario; fails if nobody."""
        members = self.groups.get(group, set())
        names = [person.name for person in self.people if person.name in members]
        if not names:
            raise AssertionError(f'nobody is in "{group}" in this scenario')
        return names

    def group_of(self, name: str) -> str:
        """The group the scenario expects ``name`` to be in; fails if none."""
        for group, members in self.groups.items():
            if name in members:
                return group
        raise AssertionError(f"{name} is in no group in this scenario")

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
