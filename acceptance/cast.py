"""The named people of one scenario ("Alice", "Bob") and what each has heard.

Each :class:`Participant` wraps one :class:`~wsharness.TestWebSocket`. A step
that says someone *hears* a message marks that message as heard, so "hears
nothing else" can fail on anything that arrived and no step accounted for.

"Nothing else" is proven by a round trip, not by waiting: :meth:`Cast.settle`
has each person echo a unique token and wait for it. The server handles one
connection's messages in order, so once the token is back, every reply the
server meant to send for that person's earlier requests has arrived too.
People are settled most recent sender first, so the server has finished with
the last request before anyone else's silence is checked.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable

from acceptance import chat
from wsharness import TestWebSocket, UnexpectedMessage
from wsharness.client import MessageMatcher
from wsharness.records import Data, Received, describe_data


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
        if self.client.state != "open":
            return
        token = f"settle {uuid.uuid4().hex}"
        self.request(chat.echo(token))
        self.hear(token)

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
        record = self.client.wait_for(
            lambda record: record.seq not in self._heard and bool(test(record)),
            description=description if not self._heard else f"another {description}",
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
        """Open one connection per name, all at once, and wait until all are open."""
        joining = []
        for name in names:
            if name in self._people and self._people[name].client.state != "closed":
                raise AssertionError(f"{name} is already connected")
            joining.append(Participant(name, TestWebSocket(self.url, name=name)))
        for person in joining:
            person.client.wait_until("open")
            self._people[person.name] = person
        return joining

    def settle(self) -> None:
        """Settle everyone, most recent sender first (see the module docstring)."""
        for person in sorted(self.people, key=lambda p: p.last_sent_at, reverse=True):
            person.settle()

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
        """Every person's transcript, timed from the start of the scenario."""
        blocks = []
        for person in self.people:
            lines = [event.describe(self.started_at) for event in person.client.transcript]
            blocks.append(f"{person.name} ({person.client.url}):\n" + "\n".join(lines))
        return "\n".join(blocks)
