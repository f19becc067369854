"""The chat as the specs see it, and the driver that speaks it: one module, so a step
reaches the wire in one hop.

The requests and replies are written out here, not imported from ``server``, so the
specs stay an independent statement of the protocol that can judge any implementation.
:class:`ChatAdapter` tells the step library how to prove silence and which names to make
unique; :class:`ChatCast`, the driver of the steps, tests and benchmarks, has one method
per sentence of the chat's steps and keeps a scenario's state (groups, what it sent).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from acceptance.characters import spell
from wsharness import settings
from wsharness.bdd import (
    Cast,
    ConnectionOptions,
    HttpHealthCheck,
    Participant,
    ProtocolAdapter,
    RoundTrip,
    UniqueNames,
)
from wsharness.bdd.adapter import Rename
from wsharness.bdd.registry import Setting
from wsharness.bdd.step_types import server_number
from wsharness.records import Data

HEALTH_CHECK = HttpHealthCheck("/healthz")
"""How a monitor asks a chat server whether it is healthy: ``GET /healthz``, no token,
200 when it can serve (503 with the reason, such as its broker being away)."""


def echo(text: str) -> dict[str, Any]:
    return {"type": "ECHO", "value": text}


def echo_times_3(text: str) -> dict[str, Any]:
    return {"type": "ECHO_TIMES_3", "value": text}


def create_group(group: str) -> dict[str, Any]:
    return {"type": "CREATE_GROUP", "value": group}


def join_group(group: str) -> dict[str, Any]:
    return {"type": "JOIN_GROUP", "value": group}


_NAMED_BY_VALUE = ("ECHO", "ECHO_TIMES_3", "CREATE_GROUP", "JOIN_GROUP")
"""The requests whose value is all there is to say: ``ECHO hi``."""


def leave_group() -> dict[str, Any]:
    return {"type": "LEAVE_GROUP"}


def message_group(group: str, message: str) -> dict[str, Any]:
    return {"type": "MESSAGE_GROUP", "value": {"groupName": group, "groupMessage": message}}


def error(reason: str) -> str:
    return f"ERROR: {reason}"


def group_created(group: str) -> str:
    return f"GROUP_CREATED: {group}"


def group_joined(group: str) -> str:
    return f"GROUP_JOINED: {group}"


def group_unavailable(group: str) -> str:
    return f"GROUP_UNAVAILABLE: {group}"


def group_left(group: str) -> str:
    return f"GROUP_LEFT: {group}"


def not_a_member(group: str) -> str:
    return error(f"you are not a member of {group}")


_REPLY_WITH_GROUP = re.compile(
    r"^(GROUP_CREATED: |GROUP_JOINED: |GROUP_UNAVAILABLE: |GROUP_LEFT: "
    r"|ERROR: you are not a member of )(.*)$"
)

BROKER_UNAVAILABLE = error(
    "groups are unavailable for now: this server cannot reach its broker; try again"
)
"""What a cluster node answers a group request while it cannot reach Redis."""

OVER_THE_RATE = error("too many requests: ")
"""How the refusal of a request beyond a server's ``--max-rate`` starts; the request
was not handled, so whoever repeats a request until it is accepted asks again."""

ENV_NODES = "WS_NODES"

CHAT_SETTINGS = (
    Setting("nodes", ENV_NODES, "start a cluster of this many nodes on a Redis of its own"),
    Setting("node_module", None, "run the cluster's nodes from this module (tests' broken nodes)"),
    Setting("node_options", None, "more command-line options for the cluster's nodes"),
    Setting("load_clients", None, "how many people the @load feature connects"),
)
"""The chat suite's own settings, besides the library's (see :mod:`wsharness.bdd.registry`)."""


class ChatAdapter(ProtocolAdapter):
    """The chat protocol, for the step library: its round trip is an ECHO, a barrier
    (docs/protocol.md, "What a round trip proves"), and group names in requests and
    replies, raw JSON included, are made unique to the scenario."""

    name = "the chat protocol"
    round_trip_is_barrier = True

    def round_trip(self, token: str) -> RoundTrip:
        return RoundTrip(request=json.dumps(echo(token)), reply=token)

    def outgoing(self, document: Any, rename: Rename) -> Any:
        if not isinstance(document, dict):
            return document
        kind, value = document.get("type"), document.get("value")
        if kind in ("CREATE_GROUP", "JOIN_GROUP") and isinstance(value, str):
            return {**document, "value": rename(value)}
        if (
            kind == "MESSAGE_GROUP"
            and isinstance(value, dict)
            and isinstance(value.get("groupName"), str)
        ):
            return {**document, "value": {**value, "groupName": rename(value["groupName"])}}
        return document

    def expected(self, text: str, rename: Rename) -> str:
        match = _REPLY_WITH_GROUP.match(text)
        return f"{match[1]}{rename(match[2])}" if match else text

    def describe(self, frame: Data) -> str | None:
        """A request as a scenario says it (``MESSAGE_GROUP book club: hi``); None, shown
        as sent, for a reply (plain words already) and for a request that is not well-formed."""
        if not isinstance(frame, str) or not frame.startswith("{"):
            return None
        try:
            document = json.loads(frame)
        except (ValueError, RecursionError):
            return None
        if not isinstance(document, dict) or not set(document) <= {"type", "value"}:
            return None
        kind, value = document.get("type"), document.get("value")
        if kind in _NAMED_BY_VALUE and isinstance(value, str):
            return f"{kind} {value}"
        if kind == "LEAVE_GROUP" and "value" not in document:
            return "LEAVE_GROUP"
        if (
            kind == "MESSAGE_GROUP"
            and isinstance(value, dict)
            and set(value) == {"groupName", "groupMessage"}
            and all(isinstance(field, str) for field in value.values())
        ):
            return f"MESSAGE_GROUP {value['groupName']}: {value['groupMessage']}"
        return None


# The driver

MIB = 1024 * 1024

DEFAULT_CROWD = 1000
"""How many people a crowd has without ``-D load_clients``."""

BURST = 32
"""How many posts :meth:`ChatCast.post_many` sends before waiting for the readers."""

FLOOD_PADDING = 1000
"""Characters added to each flood request, so that answering one costs the server
more than writing one costs the flooder, and a backlog builds up as in a real flood."""


class GroupNames(UniqueNames):
    """Group names as the wire gets them: each ``<character name>`` spelled out
    (``"book<zero-width space>club"``), then made unique to the scenario."""

    def __call__(self, name: str) -> str:
        return super().__call__(spell(name))


class Nodes(Protocol):
    """What the cluster's steps do to the suite's servers (a :class:`acceptance.testbed.Bed`)."""

    def take_node_down(self, index: int) -> None: ...

    def restart_broker(self) -> None: ...


class ChatCast(Cast):
    """Everyone in one chat scenario, the groups they are expected to be in, and what
    the scenario sent that later steps check: one method per sentence of the steps."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        adapter: ProtocolAdapter | None = None,
        options: ConnectionOptions | None = None,
    ) -> None:
        super().__init__(urls, adapter=adapter or ChatAdapter(), options=options)
        self.unique_name = GroupNames()
        self.groups: dict[str, set[str]] = {}
        """Who the scenario expects in each group (feature-text names)."""
        self.not_reading: set[str] = set()
        """Who has stopped reading their socket."""
        self.sized_group = ""
        """The wire name of the group made by :meth:`create_sized_group`."""
        self.sized_text = ""
        """The text of the echo asked for by :meth:`ask_for_sized_echo`."""
        self.posts: list[str] = []
        """What :meth:`post_many` posted, in order."""
        self.sent: dict[str, list[str]] = {}
        """Each person's texts of their last flood or burst, in order."""

    # -- Echoes and bad input ---------------------------------------------------------

    def ask_for_echo(self, name: str, text: str, *, times: int = 1) -> None:
        """``name`` asks the server to send ``text`` back once (or three times)."""
        self[name].request(echo_times_3(text) if times == 3 else echo(text))

    def ask_for_sized_echo(self, name: str, mib: int) -> None:
        """``name`` sends an ECHO request whose frame is exactly ``mib`` MiB."""
        envelope = json.dumps(echo(""), ensure_ascii=False)
        self.sized_text = "x" * (mib * MIB - len(envelope.encode()))
        self[name].request(echo(self.sized_text))

    def take_sized_echo(self, name: str) -> None:
        """``name`` receives the sized echo back, whole."""
        self[name].take(self.sized_text)

    def send_nested_json(self, name: str, depth: int) -> None:
        """``name`` sends a JSON list nested ``depth`` levels deep."""
        self[name].send("[" * depth + "]" * depth)

    def send_oversize(self, name: str, mib: int) -> None:
        """``name`` sends a text frame one byte over ``mib`` MiB."""
        self[name].send("x" * (mib * MIB + 1))

    def told(self, name: str, reason: str) -> None:
        """``name`` receives the error reply giving ``reason`` (group names renamed)."""
        self.receive([name], error(reason))

    # -- Groups -----------------------------------------------------------------------

    def create_group(self, name: str, group: str) -> None:
        """``name`` asks to create ``group``."""
        self[name].request(create_group(self.unique_name(group)))

    def join_group(self, name: str, group: str) -> None:
        """``name`` asks to join ``group``."""
        self[name].request(join_group(self.unique_name(group)))

    def post(self, name: str, message: str, group: str) -> None:
        """``name`` posts ``message`` to ``group``."""
        self[name].request(message_group(self.unique_name(group), message))

    def leave_group(self, name: str) -> None:
        """``name`` asks to leave their group."""
        self[name].request(leave_group())

    def has_created(self, name: str, group: str) -> None:
        """``name`` creates ``group`` and is told it was created."""
        self.create_group(name, group)
        self.told_created(name, group)

    def has_joined(self, name: str, group: str) -> None:
        """``name`` joins ``group`` and is told so."""
        self.join_group(name, group)
        self.told_joined(name, group)

    def has_been_refused(self, name: str, group: str) -> None:
        """``name`` tries to create ``group``, whose name is taken, and is refused."""
        self.create_group(name, group)
        self.told_unavailable(name, group)

    def has_left(self, name: str) -> None:
        """``name`` leaves their group and is told so."""
        group = self.group_of(name)
        self.leave_group(name)
        self.told_left(name, group)

    def told_created(self, name: str, group: str) -> None:
        """``name`` is told ``group`` was created; they are in it now."""
        self.receive([name], group_created(group))
        self.join(name, group)

    def told_joined(self, name: str, group: str) -> None:
        """``name`` is told they joined ``group``; they are in it now."""
        self.receive([name], group_joined(group))
        self.join(name, group)

    def told_unavailable(self, name: str, group: str) -> None:
        """``name`` is told ``group`` is unavailable."""
        self.receive([name], group_unavailable(group))

    def told_left(self, name: str, group: str) -> None:
        """``name`` is told they left ``group``; they are in no group now."""
        self.receive([name], group_left(group))
        self.leave(name)

    def told_not_a_member(self, name: str, group: str) -> None:
        """``name`` is told they are not a member of ``group``."""
        self.receive([name], not_a_member(group))

    def members_receive(self, group: str, message: str) -> None:
        """Everyone the scenario expects in ``group`` receives ``message``."""
        self.receive(self.member_names(group), message)

    def create_sized_group(self, name: str, length: int) -> None:
        """``name`` asks to create a group whose (unique) name has ``length`` characters."""
        self.sized_group = self.unique_name.of_length(length)
        self[name].request(create_group(self.sized_group))

    def told_sized_group_created(self, name: str) -> None:
        """``name`` is told the group of :meth:`create_sized_group` was created."""
        self[name].take(group_created(self.sized_group))

    def join_together(self, names: Iterable[str], group: str) -> None:
        """Everyone named joins ``group``: every request goes out before the first reply
        is awaited, so a crowd joins in the server's time, not a round trip per person."""
        wire_name = self.unique_name(group)
        people = [self[name] for name in names]
        for person in people:
            person.request(join_group(wire_name))
        for person in people:
            person.take(group_joined(wire_name))
            self.join(person.name, group)

    def gather_crowd(self, group: str, userdata: Mapping[str, str]) -> None:
        """The run's crowd ("Guest 1", ...; ``-D load_clients``, else 1,000) joins ``group``."""
        count = _whole(userdata.get("load_clients"), DEFAULT_CROWD, "-D load_clients")
        names = [f"Guest {number}" for number in range(1, count + 1)]
        self.connect(names)
        self.join_together(names, group)

    def create_group_once_free(
        self, name: str, group: str, *, within: float | None = None, broker_away: bool = False
    ) -> float:
        """``name`` creates ``group`` as soon as the name is free (within the timeout, or
        ``within`` seconds), asking again after each refusal (or ``broker_away``), since
        nothing acknowledges a disconnect; returns the seconds it took."""
        person = self[name]
        wire_name = self.unique_name(group)
        created = group_created(wire_name)
        refusals = [group_unavailable(wire_name)] + [BROKER_UNAVAILABLE] * broker_away

        def create() -> bool:
            person.request(create_group(wire_name))
            return _answer(person, created, *refusals) == created

        refused = f'{name} was still told the group "{group}" is unavailable'
        took = until_accepted(create, refused, within=within)
        self.join(name, group)
        return took

    # -- A cluster --------------------------------------------------------------------

    def create_at_once(self, names: Iterable[str], group: str) -> None:
        """Everyone named asks to create ``group`` in one turn of the harness's event loop."""
        request = json.dumps(create_group(self.unique_name(group)))
        self.send_at_once((name, request) for name in names)

    def only_one_creator(self, names: Iterable[str], group: str) -> str:
        """Of those who raced to create ``group``, exactly one is told it was created and
        the others that it is unavailable; returns who won."""
        wire_name = self.unique_name(group)
        created, unavailable = group_created(wire_name), group_unavailable(wire_name)
        answers = {name: self[name].take_one_of(created, unavailable) for name in names}
        winners = [name for name, answer in answers.items() if answer == created]
        if len(winners) != 1:
            told = ", ".join(f"{name}: {answer!r}" for name, answer in answers.items())
            raise AssertionError(f'exactly one creator of "{group}" was expected; {told}')
        self.join(winners[0], group)
        return winners[0]

    def node_goes_down(self, nodes: Nodes, which: str) -> None:
        """The ``which`` ("second") of ``nodes`` dies; everyone on it loses their connection
        and group."""
        node = server_number(which)
        nodes.take_node_down(node)
        for person in self.people:
            if person.node == node:
                person.expect_closing()
                self.leave(person.name)

    def broker_restarts(self, nodes: Nodes) -> None:
        """The broker restarts, empty; returns once each person's node says a group that
        does not exist is unavailable, which it can only say once it is back with it."""
        nodes.restart_broker()
        for person in self.people:
            if person.client.state == "closed":
                continue

            def ask(person: Participant = person) -> bool:
                nowhere = self.unique_name(f"nowhere {uuid.uuid4().hex[:8]}")
                person.request(join_group(nowhere))
                unavailable = group_unavailable(nowhere)
                return _answer(person, unavailable, BROKER_UNAVAILABLE) == unavailable

            until_accepted(ask, f"{person.name}'s node still could not reach its broker")

    # -- Strangers: slow readers, floods, bursts --------------------------------------

    def connect_from_site(self, name: str, origin: str | None) -> None:
        """Connect ``name`` as a page of the site ``origin`` (the target's own)."""
        if origin is None:
            raise AssertionError("no origin is declared for the target")
        self.connect([name], options=self.options.but(origin=origin))

    def stop_reading(self, name: str) -> None:
        """``name``'s client stops reading its socket, as a hung or overloaded app would."""
        self[name].client.stop_reading()
        self.not_reading.add(name)

    def post_many(self, name: str, group: str, count: int, kib: int) -> None:
        """``name`` posts ``count`` messages of ``kib`` KiB to ``group`` (:attr:`posts`), in
        bursts of :data:`BURST`, each once the members who read have the one before."""
        wire_name = self.unique_name(group)
        readers = [n for n in self.member_names(group) if n not in self.not_reading]
        self.posts = [f"{number:06d} " + "x" * (kib * 1024 - 7) for number in range(count)]
        for start in range(0, count, BURST):
            burst = self.posts[start : start + BURST]
            requests = [json.dumps(message_group(wire_name, post)) for post in burst]
            self[name].send_all(requests)
            for reader in readers:
                self[reader].client.wait_for_message(burst[-1])

    def take_every_post(self, names: Iterable[str]) -> None:
        """Everyone named receives each of :attr:`posts` once."""
        self.take_each(names, *self.posts)

    def flood(self, name: str, count: int) -> None:
        """``name`` sends ``count`` triple-echo requests in one burst."""
        padding = "x" * FLOOD_PADDING
        self.sent[name] = [f"flood {number} {padding}" for number in range(count)]
        self[name].send_all([json.dumps(echo_times_3(text)) for text in self.sent[name]])

    def take_flood_replies(self, name: str) -> None:
        """``name`` receives all three copies of every request of their flood."""
        self.take_each([name], *(text for text in self.sent[name] for _ in range(3)))

    def burst_of_echoes(self, name: str, count: int) -> None:
        """``name`` sends ``count`` echo requests in one burst."""
        self.sent[name] = [f"burst {number}" for number in range(count)]
        self[name].send_all([json.dumps(echo(text)) for text in self.sent[name]])

    def take_held_back(self, name: str, allowed: int, reason: str) -> None:
        """``name`` hears the first ``allowed`` of their burst echoed, then ``reason`` for the
        rest but the few (at most one in four) the rate's allowance refilled for."""
        texts = self.sent[name]
        refusal = error(reason)
        replies = [record.data for record in self[name].take_messages(len(texts))]
        refused = sum(reply == refusal for reply in replies)
        wrong = [
            (number, reply)
            for number, (reply, text) in enumerate(zip(replies, texts, strict=True))
            if reply != text and (number < allowed or reply != refusal)
        ]
        if wrong or refused < (len(texts) - allowed) * 3 // 4:
            raise AssertionError(
                f"{name} sent {len(texts)} echo requests at once; expected the first {allowed} "
                f"echoed and most of the rest refused with {refusal!r}; {refused} were refused, "
                f"and these replies are neither: {wrong[:5]}"
            )

    def was_cut_off(self, name: str) -> None:
        """``name`` reads again and finds the connection closed (1013, or dropped) before
        all of :attr:`posts` arrived."""
        person = self[name]
        person.expect_closing()
        person.client.resume_reading()
        self.not_reading.discard(name)
        code, reason = person.expect_close()
        received = set(person.client.messages)
        missed = sum(1 for post in self.posts if post not in received)
        if code not in (1013, 1006) or not missed:
            raise AssertionError(
                f"{name} was expected to be cut off for reading too slowly; the connection "
                f"closed with code {code} ({reason!r}) after {len(self.posts) - missed} of "
                f"{len(self.posts)} posts"
            )
        self.leave(name)

    def disconnect(self, name: str, *, abruptly: bool = False) -> None:
        """Close ``name``'s connection (or cut it); they leave their group."""
        super().disconnect(name, abruptly=abruptly)
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
        """Who the scenario expects in ``group``, in the scenario's order; fails if nobody."""
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


def until_accepted(
    attempt: Callable[[], bool], still_refused: str, *, within: float | None = None
) -> float:
    """Repeat ``attempt`` (a request and the wait for its answer, so nothing sleeps) until
    True, failing with ``still_refused`` after ``within`` seconds; return the seconds taken."""
    limit = settings.timing().wait if within is None else within
    started = time.monotonic()
    while not attempt():
        if time.monotonic() - started > limit:
            raise AssertionError(f"{still_refused} after {limit:g} s")
    return time.monotonic() - started


def _answer(person: Participant, *answers: str) -> str:
    """The next of ``answers`` ``person`` receives, or a refusal for the rate (a "not yet")."""
    described = " or ".join(map(repr, answers)) + " (or a refusal for the rate)"
    taken = person.take_match(
        lambda data: data in answers or (isinstance(data, str) and data.startswith(OVER_THE_RATE)),
        described,
    )
    return str(taken.data)


def _whole(value: str | None, default: int, setting: str) -> int:
    """``value`` (``default`` if None) as a positive whole number; fails naming ``setting``."""
    try:
        number = default if value is None else int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise AssertionError(f"{setting} must be a positive whole number, not {value!r}")
    return number
