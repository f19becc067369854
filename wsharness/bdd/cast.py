"""The named people of one scenario ("Alice", "Bob") and what each has received.

Each :class:`Participant` wraps one :class:`~wsharness.TestWebSocket`. A step that
says someone *receives* a message takes it from the client (*take* is the one name
for that, from the client up), so receiving it twice needs two copies, and "nothing
else" fails on anything that arrived and no step took.

Where the protocol's adapter has a round trip (:mod:`wsharness.bdd.adapter`), round
trips prove "nothing else" and, when it is a barrier, that a wait's message is not
on its way, so the wait fails at once; docs/design.md tells how ("Proving that nothing
else arrived", "A wait that round trips prove unmet fails at once"). Without one,
"nothing else" watches the quiet window. ``-D late_window=SECONDS`` then watches that
long more, for a server that sends something late from background work.

With several servers (``-D server_urls=A,B,C``, the nodes of one cluster), people are
spread over them in the order they first connect, round robin.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Self, TypeVar

from hamcrest import assert_that, equal_to

from wsharness import (
    ConnectionFailed,
    ConnectionLost,
    TestWebSocket,
    UnexpectedMessage,
    WaitTimeout,
    send_at_once,
    settings,
)
from wsharness.bdd.adapter import ProtocolAdapter
from wsharness.bdd.health import (
    HealthAnswer,
    HealthCheck,
    ask_every_node,
    assert_every_node_healthy,
)
from wsharness.bdd.options import ConnectionOptions
from wsharness.bdd.target import Target
from wsharness.bdd.values import Notebook, field_of
from wsharness.client import (
    UNTRUSTED_CERTIFICATE,
    Aside,
    FrameObserver,
    MessageMatcher,
    close_at_once,
)
from wsharness.conversation.model import PROOF_PREFIX
from wsharness.deprecated import Renamed
from wsharness.matchers import JsonContaining
from wsharness.records import Data, Received, describe_data

OPENING_AT_ONCE = 100
"""Handshakes in flight at once when connecting many people (see Cast.connect)."""

TRANSCRIPTS_SHOWN = 20
"""How many people's transcripts a failure prints; a crowd's would drown it."""

PROVEN = "the round trip proved nothing more is on its way"
"""Why a proven wait failed, in its message."""

ROUND_TRIP_TIMES: dict[str, float] = {}
"""The last round trip's time to each server URL, for the whole run: how long a wait
lets its message come before it starts a proof."""

T = TypeVar("T")


class Proof(Enum):
    """How a proof for a wait ended."""

    MET = "met"
    """The message arrived during the proof."""
    NOT_ON_ITS_WAY = "not on its way"
    """The proof completed and the message is not there: it is not coming."""
    IMPOSSIBLE = "impossible"
    """Someone could not take part (closed, or did not answer in time): no conclusion."""


@dataclass(frozen=True)
class Probe:
    """A round trip sent, with its reply set aside as it arrives (never seen by a wait)."""

    aside: Aside
    sent_at: float


class UniqueNames:
    """Makes names in feature text unique to one scenario run ("book club" goes on the
    wire as "book club [3f9c2a1e]"), so scenarios can run again, in any order, and beside
    other runs against one long-lived server without meeting each other's names."""

    def __init__(self) -> None:
        self.token = uuid.uuid4().hex[:8]

    def __call__(self, name: str) -> str:
        return f"{name} [{self.token}]"

    def as_written(self, text: str) -> str:
        """``text`` with every unique name put back as the feature wrote it."""
        return text.replace(f" [{self.token}]", "")

    def of_length(self, length: int) -> str:
        """A name unique to the scenario with exactly ``length`` characters."""
        if length < len(self.token):
            raise ValueError(f"a unique name needs at least {len(self.token)} characters")
        return (self.token + "n" * length)[:length]


class Participant:
    """One named person in a scenario: a client whose messages steps account for."""

    def __init__(
        self, name: str, client: TestWebSocket, adapter: ProtocolAdapter, *, node: int = 0
    ) -> None:
        self.name = name
        self.client = client
        self.node = node
        """Which of the suite's servers the person is connected to, counted from 0."""
        self.adapter = adapter
        self.last_sent_at = 0.0
        self.closing_expected = False
        """True once a step closed the connection or expects the server to close it."""
        self.last_taken: Received | None = None
        self.prover: Cast | None = None
        """The scenario, when its protocol's round trip can prove a wait unmet."""

    def send(self, data: Data, *, text: bool | None = None) -> None:
        """Send one raw text or binary message (``text=True``: bytes in a text frame)."""
        self.client.send(data, text=text)
        self.last_sent_at = time.monotonic()

    def send_all(self, messages: Sequence[Data], *, text: bool | None = None) -> None:
        """Send ``messages`` in one pipelined burst (:meth:`~wsharness.TestWebSocket.send_all`)."""
        self.client.send_all(messages, text=text)
        self.last_sent_at = time.monotonic()

    def request(self, document: object) -> None:
        """Send one JSON document."""
        self.client.send_json(document)
        self.last_sent_at = time.monotonic()

    def take(self, message: Data) -> Received:
        """Wait for one more copy of ``message`` and account for it."""
        return self._took(self._proven(functools.partial(self.client.take_message, message)))

    def take_copies(self, message: Data, count: int) -> None:
        """Wait for ``count`` more copies of ``message`` and account for them."""
        for _ in range(count):
            self.take(message)

    def take_match(self, matcher: MessageMatcher, description: str | None = None) -> Received:
        """Wait for one more message that satisfies ``matcher`` and account for it."""
        take = functools.partial(self.client.take_match, matcher, description=description)
        return self._took(self._proven(take))

    def take_json(self, matcher: JsonContaining) -> Received:
        """Wait for a JSON message that ``matcher`` accepts and account for it; a
        failure says where each outstanding message differs."""
        try:
            return self.take_match(matcher, f"a JSON message containing {matcher.text}")
        except WaitTimeout as error:
            near = [
                f"  {describe_data(record.data)}: {matcher.difference(record.data)}"
                for record in self.client.received[-TRANSCRIPTS_SHOWN:]
            ]
            if not near:
                raise
            raise WaitTimeout(f"{error}\nhow they differ:\n" + "\n".join(near)) from None

    def take_messages(self, count: int) -> list[Received]:
        """Wait for the next ``count`` messages and account for them, in order."""
        records = self._proven(functools.partial(self.client.take_messages, count))
        if records:
            self._took(records[-1])
        return records

    def take_one_of(self, *messages: str) -> str:
        """Wait for the next copy of any of ``messages``; return the one taken."""
        described = " or ".join(map(repr, messages))
        return str(self.take_match(lambda data: data in messages, described).data)

    def note_field(self, path: str) -> str:
        """The value at ``path`` in the JSON message this person took last."""
        if self.last_taken is None:
            raise AssertionError(f"{self.name} has not heard a message yet")
        return field_of(self.last_taken.data, path)

    def _proven(self, take: Callable[..., T]) -> T:
        """``take(timeout=, proven_by=)``, a wait, done as docs/design.md says: at once if
        met; else after one measured round trip's time, or the proof, failed with what
        the proof showed (after the late window); a plain wait to the timeout where no
        proof can be had or completed."""
        found: list[T] = []

        def met() -> bool:
            """Whether the wait is met; it takes the message the first time it is."""
            if found:
                return True
            try:
                found.append(take(timeout=0))
            except WaitTimeout:
                return False
            return True

        if met():
            return found[0]
        if self.prover is None or not self.prover.can_prove():
            return take()
        deadline = time.monotonic() + self.client.timeout
        grace = ROUND_TRIP_TIMES.get(self.client.url, settings.timing().quiet)
        try:
            return take(timeout=min(grace, self.client.timeout))
        except WaitTimeout:
            pass
        outcome = self.prover.prove(self, met, deadline)
        if outcome is Proof.MET:
            return found[0]
        if outcome is Proof.IMPOSSIBLE:
            return take(timeout=max(deadline - time.monotonic(), 0.0))
        late = settings.timing().late
        if late > 0:
            try:
                return take(timeout=late)
            except WaitTimeout:
                return take(proven_by=f"{PROVEN}, and {late:g} s of watching saw nothing late")
        return take(proven_by=PROVEN)

    def round_trip_unless(self, met: Callable[[], bool], deadline: float) -> bool:
        """Make a round trip, or stop short (its reply set aside when it comes) as soon as
        ``met()``, asked as messages arrive, is true; return ``met()``. Raises
        :class:`~wsharness.WaitTimeout` at ``deadline``, ConnectionLost if it is gone."""
        probe = self.send_probe()
        if probe is None:
            return met()
        self.client.wait_until_true(
            lambda: probe.aside.arrived_at is not None or met(),
            description="receive the reply to its round trip",
            timeout=max(deadline - time.monotonic(), 0.0),
        )
        self._note_time(probe)
        return met()

    def round_trip(self) -> None:
        """Check the connection is open and, if the protocol has a round trip,
        make one, so every earlier reply has surely arrived."""
        probe = self.send_probe()
        if probe is not None:
            self.wait_for_reply(probe)

    def send_probe(self) -> Probe | None:
        """Send the protocol's round-trip request with a unique token, its reply set
        aside as it arrives; None if it has none or the connection was closed on
        purpose. A connection the server closed unexpectedly fails here."""
        if self.client.state == "closed" and self.closing_expected:
            return None
        self.check_connected()
        trip = self.adapter.round_trip(f"{PROOF_PREFIX}{uuid.uuid4().hex}")
        if trip is None:
            return None
        aside = self.client.expect_aside(trip.reply)
        sent_at = time.monotonic()
        self.client.send(trip.request)
        return Probe(aside, sent_at)

    def wait_for_reply(self, probe: Probe, *, timeout: float | None = None) -> None:
        """Wait for a round trip's reply (set aside: no step takes it)."""
        self.client.wait_for_aside(probe.aside, timeout=timeout)
        self._note_time(probe)

    def _note_time(self, probe: Probe) -> None:
        """Keep the round trip's time, from its send to its reply, once the reply is here."""
        if probe.aside.arrived_at is not None:
            ROUND_TRIP_TIMES[self.client.url] = probe.aside.arrived_at - probe.sent_at

    def refusal(self) -> str:
        """Why the connection could not open (one line); fails if it opened."""
        self.closing_expected = True
        try:
            self.client.wait_until("open")
        except ConnectionFailed as failure:
            return str(failure)
        raise AssertionError(f"{self.name} was let in: the server accepted the handshake")

    def refused_status(self) -> int:
        """The HTTP status the server turned this person away with; fails if it
        let them in, or never answered."""
        failure = self.refusal()
        if self.client.handshake_status is None:
            raise AssertionError(f"{failure}, without an HTTP answer")
        return self.client.handshake_status

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

    def expect_closing(self) -> None:
        """From now on the connection may close (or be closed by the server) without
        failing the scenario: its round trips are skipped."""
        self.closing_expected = True

    def assert_all_taken(self, *, how: str = "") -> None:
        """Fail if a message arrived that no step has taken; ``how`` says how
        silence was proven, for the failure message."""
        extra = self.client.received
        if extra:
            listed = "\n".join(f"  {describe_data(record.data)}" for record in extra)
            raise UnexpectedMessage(
                f"{self.name} heard {len(extra)} message{'s' if len(extra) != 1 else ''} "
                f"no step expected{how}:\n{listed}"
            )

    def _took(self, record: Received) -> Received:
        self.last_taken = record
        return record

    hear = Renamed("take")
    hear_copies = Renamed("take_copies")
    hear_matching = Renamed("take_match")
    hear_json = Renamed("take_json")
    hear_next = Renamed("take_messages")
    hear_one_of = Renamed("take_one_of")
    hear_reply = Renamed("wait_for_reply")
    last_heard = Renamed("last_taken")
    assert_heard_everything = Renamed("assert_all_taken")


class Cast:
    """Everyone in one scenario, by name, talking to the servers at ``urls``."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        adapter: ProtocolAdapter | None = None,
        options: ConnectionOptions | None = None,
    ) -> None:
        if not urls:
            raise ValueError("a cast needs at least one server URL")
        self.urls = list(urls)
        self.adapter = adapter or ProtocolAdapter()
        self.options = options or ConnectionOptions()
        self.unique_name = UniqueNames()
        """``cast.unique_name("book club")`` is the name that goes on the wire."""
        self.notebook = Notebook()
        self.started_at = time.monotonic()
        self._people: dict[str, Participant] = {}
        self._nodes: dict[str, int] = {}
        self._health: list[tuple[str, HealthAnswer]] | None = None
        self._replaced = False
        """Someone connected again under a name that had a connection: proofs are off."""
        self.on_frame: FrameObserver | None = None
        """Told of every frame of everyone connected from now on (the contract check)."""
        self.frame_notes: dict[tuple[str, float, int], str] = {}
        """Notes to show after a transcript line, by (kind, time, id of the data)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close_all()

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

    def node_of(self, name: str) -> int:
        """The server ``name`` uses: the one chosen at their first connection, else
        the next in turn."""
        return self._nodes.setdefault(name, len(self._nodes) % len(self.urls))

    def place(self, name: str, node: int) -> None:
        """Have ``name`` use server number ``node`` (from 0) from now on."""
        if not 0 <= node < len(self.urls):
            count = len(self.urls)
            raise AssertionError(
                f"the suite has {count} server{'s' if count != 1 else ''}; "
                f"there is no server number {node + 1}"
            )
        self._nodes[name] = node

    def connect(
        self, names: Iterable[str], *, options: ConnectionOptions | None = None
    ) -> list[Participant]:
        """Open one connection per name and wait until all are open: at most
        :data:`OPENING_AT_ONCE` handshakes at a time, since thousands at once would
        overflow the server's listen backlog (and be retried only after a second).
        Everyone is in the cast as soon as their connection starts, so it is closed
        after the scenario even if someone else failed to connect."""
        joining = list(names)
        for name in joining:
            if name in self._people and self._people[name].client.state != "closed":
                raise AssertionError(f"{name} is already connected")
        people = []
        for start in range(0, len(joining), OPENING_AT_ONCE):
            wave = [
                self.start_connecting(name, options=options)
                for name in joining[start : start + OPENING_AT_ONCE]
            ]
            for person in wave:
                person.client.wait_until("open")
            people.extend(wave)
        return people

    def start_connecting(
        self, name: str, *, options: ConnectionOptions | None = None
    ) -> Participant:
        """Start ``name``'s connection and return at once (see :meth:`connect`)."""
        node = self.node_of(name)
        chosen = options or self.options
        url = chosen.address(self.urls[node])
        client = TestWebSocket(
            url, name=name, on_frame=self.on_frame, **chosen.connect_arguments(url)
        )
        if name in self._people and self._people[name].client.handshake_status == 101:
            self._replaced = True
        person = Participant(name, client, self.adapter, node=node)
        if self.adapter.round_trip_is_barrier and self.adapter.has_round_trip:
            person.prover = self
        self._people[name] = person
        return person

    def try_everywhere(self, name: str, *, options: ConnectionOptions | None = None) -> None:
        """Start one connection for ``name`` to every server, each named after its
        server when there are several ("Mallory at node 2"); see :meth:`everywhere`."""
        for node in range(len(self.urls)):
            label = f"{name} at node {node + 1}" if len(self.urls) > 1 else name
            self._nodes[label] = node
            self.start_connecting(label, options=options)

    def everywhere(self, name: str) -> list[Participant]:
        """``name``'s connection to each server, in the servers' order, as
        :meth:`try_everywhere` started them."""
        if len(self.urls) == 1:
            return [self[name]]
        return [self[f"{name} at node {node + 1}"] for node in range(len(self.urls))]

    def assert_turned_away_everywhere(self, name: str, status: int, target: Target) -> None:
        """Every server refused ``name``'s handshake with HTTP ``status``."""

        def problem(person: Participant) -> str | None:
            got = person.refused_status()
            return None if got == status else f"turned {person.name} away with HTTP {got}"

        self._assert_everywhere(name, target, f"turned {name} away with HTTP {status}", problem)

    def assert_untrusted_everywhere(self, name: str, target: Target) -> None:
        """Every server's certificate failed to verify for ``name``, so nothing opened."""

        def problem(person: Participant) -> str | None:
            refusal = person.refusal()
            if UNTRUSTED_CERTIFICATE in refusal:
                return None
            return f"refused for another reason: {refusal}"

        self._assert_everywhere(name, target, "refused as untrusted", problem)

    def _assert_everywhere(
        self,
        name: str,
        target: Target,
        promise: str,
        problem: Callable[[Participant], str | None],
    ) -> None:
        """Fail naming every server where ``problem`` finds one (or fails itself): a
        deployment's promise is judged on all its servers, not up to the first broken one."""
        problems = []
        for index, person in enumerate(self.everywhere(name)):
            try:
                found = problem(person)
            except AssertionError as error:
                found = str(error)
            if found is not None:
                problems.append(f"{target.node_name(index)}: {found}")
        if problems:
            raise AssertionError(f"not every server {promise}:\n  " + "\n  ".join(problems))

    def ask_health(self, target: Target, health_check: HealthCheck | None) -> None:
        """Ask each server's health check without a token, as a load balancer would; the
        answers stay with the scenario for :meth:`assert_healthy`."""
        timeout = settings.timing().wait
        self._health = ask_every_node(target, health_check, self.options, timeout=timeout)

    def assert_healthy(self) -> None:
        """Every server asked by :meth:`ask_health` answered 200."""
        if self._health is None:
            raise AssertionError("nobody has asked the servers whether they are healthy yet")
        assert_every_node_healthy(self._health)

    def disconnect(self, name: str, *, abruptly: bool = False) -> None:
        """Close ``name``'s connection (or cut it, like a crash)."""
        self[name].disconnect(abruptly=abruptly)

    def take_each(self, names: Iterable[str], *messages: Data) -> None:
        """Everyone named takes one more copy of each of ``messages``, in turn."""
        for name in names:
            for message in messages:
                self[name].take(message)

    def take_exactly(self, name: str, expected: list[Data]) -> None:
        """``name`` takes exactly ``expected``, in order, and then nothing else."""
        arrived = [record.data for record in self[name].take_messages(len(expected))]
        assert_that(arrived, equal_to(expected), f"the messages {name} received")
        self.assert_nothing_else([self[name]])

    def receive(self, names: Iterable[str], text: str) -> None:
        """Everyone named receives one more copy of ``text`` as a feature writes it
        (see :meth:`expected_text`)."""
        self.take_each(names, self.expected_text(text))

    def receive_copies(self, name: str, text: str, count: int) -> None:
        """``name`` receives ``count`` more copies of ``text`` as a feature writes it."""
        self[name].take_copies(self.expected_text(text), count)

    def receive_exactly(self, name: str, table: Iterable[Mapping[str, str]] | None) -> None:
        """``name`` receives the ``message`` column of a feature's table, in order, and
        then nothing else."""
        if table is None:
            raise AssertionError("this step needs a table with a 'message' column")
        self.take_exactly(name, [self.expected_text(row["message"]) for row in table])

    def receive_nothing_else(self, names: Iterable[str] | None = None) -> None:
        """Once nothing more can be on its way, everyone named (everyone, without
        names) has received nothing no step took."""
        people = self.people if names is None else [self[name] for name in names]
        self.assert_nothing_else(people)

    def send_at_once(self, sends: Iterable[tuple[str, Data]]) -> None:
        """Each (name, message) sent in one turn of the event loop, as requests racing
        each other from many users would be (:func:`wsharness.send_at_once`)."""
        racing = [(self[name], data) for name, data in sends]
        send_at_once([(person.client, data) for person, data in racing])
        for person, _ in racing:
            person.last_sent_at = time.monotonic()

    def round_trip_each(self, names: Iterable[str]) -> None:
        """Everyone named is still connected and, if the protocol allows, gets a
        round trip's reply back."""
        for name in names:
            self[name].round_trip()

    def outgoing_json(self, document: object) -> object:
        """A JSON document from a feature as it goes on the wire (see the adapter)."""
        return self.adapter.outgoing(document, self.unique_name)

    def expected_text(self, text: str) -> str:
        """A message from a feature, values filled in, as it comes off the wire."""
        return self.adapter.expected(self.fill(text), self.unique_name)

    def note(self, name: str, path: str, label: str) -> None:
        """Keep the ``path`` field of ``name``'s last message as ``{label}``."""
        self.notebook.note(label, self[name].note_field(path))

    def fill(self, text: str) -> str:
        """``text`` with the values noted so far in place of ``{label}``."""
        return self.notebook.fill(text)

    def assert_nothing_else(self, people: Iterable[Participant]) -> None:
        """Prove that ``people`` received nothing that no step has taken: the one way
        every "nothing else" step does (round trips, else the quiet window; then the
        late window; then a look at what is still outstanding)."""
        checked = list(people)
        how = ""
        if self.adapter.has_round_trip:
            self.settle()
        else:
            window = settings.timing().quiet
            how = f" (watched for {window:g} s: {self.adapter.name} has no round trip)"
            self._watch(checked, time.monotonic() + window, how=how)
        # The late window, off unless -D late_window is set: for a server that sends
        # something late from background work, which round trips cannot see.
        self._watch(checked, self.last_request_at + settings.timing().late)
        for person in checked:
            person.assert_all_taken(how=how)

    hear_each = Renamed("take_each")
    hear_exactly = Renamed("take_exactly")

    def settle(self) -> None:
        """Two rounds of round trips by everyone: afterwards every reply to every
        request so far, and all they sent anyone, has arrived (on a protocol whose
        round trip is a barrier)."""
        for _ in range(2):
            self._round_trips(self.people)

    def can_prove(self) -> bool:
        """Whether round trips can prove a wait unmet now: everyone is open and reading,
        or never got in (and sent nothing), and nobody connected twice under one name
        (the first connection may still have requests in flight)."""
        return not self._replaced and all(
            (person.client.state == "open" and person.client.is_reading)
            or (person.client.state == "closed" and person.client.handshake_status != 101)
            for person in self.people
        )

    def prove(self, waiter: Participant, met: Callable[[], bool], deadline: float) -> Proof:
        """The proof for ``waiter``'s wait (docs/design.md): a round trip by the waiter, by
        everyone else, by the waiter again, asking ``met()`` as it goes; impossible if
        anyone cannot take part (closed meanwhile, or not answering by ``deadline``)."""
        try:
            if waiter.round_trip_unless(met, deadline):
                return Proof.MET
            others = [person for person in self.people if person is not waiter]
            probes = [
                (person, person.send_probe()) for person in others if person.client.state == "open"
            ]
            for person, probe in probes:
                if probe is not None:
                    person.wait_for_reply(probe, timeout=max(deadline - time.monotonic(), 0.0))
                if met():
                    return Proof.MET
            if not self.can_prove():
                return Proof.IMPOSSIBLE
            if waiter.round_trip_unless(met, deadline):
                return Proof.MET
        except (ConnectionLost, ConnectionFailed, WaitTimeout):
            return Proof.IMPOSSIBLE
        return Proof.NOT_ON_ITS_WAY

    def _round_trips(self, people: Sequence[Participant]) -> None:
        """One round trip for each of ``people``, sent together, then every reply awaited."""
        probes = [(person, person.send_probe()) for person in people]
        for person, probe in probes:
            if probe is not None:
                person.wait_for_reply(probe)

    @property
    def last_request_at(self) -> float:
        """When anyone in the scenario last sent a request (not counting round trips)."""
        return max((person.last_sent_at for person in self.people), default=self.started_at)

    def _watch(self, people: list[Participant], until: float, *, how: str = "") -> None:
        """The one deliberate wait: watch ``people`` until the monotonic time ``until``,
        failing as soon as one of them receives anything (``how`` ends the message)."""
        for person in people:
            remaining = until - time.monotonic()
            if remaining <= 0:
                return
            try:
                person.client.assert_no_message(within=remaining)
            except UnexpectedMessage as error:
                raise UnexpectedMessage(f"{error}{how}") from None

    def close_all(self) -> None:
        """Close every connection, all at once; used after each scenario, passed or
        failed."""
        close_at_once([person.client for person in self.people])

    def transcripts(self) -> str:
        """The transcripts of the first :data:`TRANSCRIPTS_SHOWN` people, timed from
        the start of the scenario; the rest are counted, not shown."""
        blocks = []
        for person in self.people[:TRANSCRIPTS_SHOWN]:
            lines = [
                event.describe(self.started_at)
                + self.frame_notes.get((event.kind, event.at, id(event.data)), "")
                for event in person.client.transcript
            ]
            where = person.client.shown_url
            if len(self.urls) > 1:
                where = f"node {person.node + 1}, {where}"
            blocks.append(f"{person.name} ({where}):\n" + "\n".join(lines))
        hidden = len(self._people) - TRANSCRIPTS_SHOWN
        if hidden > 0:
            blocks.append(f"(and {hidden} more people, not shown)")
        return "\n".join(blocks)
