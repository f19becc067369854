"""The chat server's cast: the library's people plus the groups a scenario built.

:class:`ChatCast` is :class:`wsharness.bdd.Cast` with what only the chat
protocol has: who the scenario expects in which group, a crowd joining a group
at once, and creating a group as soon as its name is free. Group names in
feature text may name characters nobody can see (:mod:`acceptance.characters`).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Sequence

from acceptance import chat
from acceptance.characters import spell
from wsharness import settings
from wsharness.bdd import Cast, ConnectionOptions, Participant, ProtocolAdapter, UniqueNames
from wsharness.client import send_at_once

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


class ChatCast(Cast):
    """Everyone in one chat scenario, and the groups they are expected to be in."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        adapter: ProtocolAdapter | None = None,
        options: ConnectionOptions | None = None,
    ) -> None:
        super().__init__(urls, adapter=adapter or chat.ChatAdapter(), options=options)
        self.unique_name = GroupNames()
        self.groups: dict[str, set[str]] = {}
        """Who the scenario expects in each group (feature-text names)."""
        self.not_reading: set[str] = set()
        """Who has stopped reading their socket."""

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

    def gather_crowd(self, size: int, group: str) -> None:
        """Connect ``size`` guests ("Guest 1", ...) and have them all join ``group``."""
        names = [f"Guest {number}" for number in range(1, size + 1)]
        self.connect(names)
        self.join_group(names, group)

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

        def create() -> bool:
            person.request(chat.create_group(wire_name))
            return person.hear_one_of(created, unavailable) == created

        _until_accepted(create, f'{name} was still told the group "{group}" is unavailable')
        self.join(name, group)

    def send_create_requests_together(self, names: Iterable[str], group: str) -> None:
        """Everyone named asks to create ``group`` at the same moment: the requests
        leave in one turn of the harness's event loop."""
        request = json.dumps(chat.create_group(self.unique_name(group)))
        racing = [self[name] for name in names]
        send_at_once([(person.client, request) for person in racing])
        for person in racing:
            person.last_sent_at = time.monotonic()

    def only_one_creator(self, names: Iterable[str], group: str) -> str:
        """Of the people who raced to create ``group``, exactly one is told it was
        created and each other one that it is unavailable; return who won."""
        wire_name = self.unique_name(group)
        created, unavailable = chat.group_created(wire_name), chat.group_unavailable(wire_name)
        answers = {name: self[name].hear_one_of(created, unavailable) for name in names}
        winners = [name for name, answer in answers.items() if answer == created]
        if len(winners) != 1:
            told = ", ".join(f"{name}: {answer!r}" for name, answer in answers.items())
            raise AssertionError(f'exactly one creator of "{group}" was expected; {told}')
        self.join(winners[0], group)
        return winners[0]

    def node_went_down(self, node: int) -> None:
        """Everyone on server number ``node`` (from 0) lost their connection with it:
        nobody expects it to stay open, and they are in no group any more."""
        for person in self.people:
            if person.node == node:
                person.closing_expected = True
                self.leave(person.name)

    def ask_until_every_node_has_its_broker(self) -> None:
        """After the broker restarted: everyone asks to join a group that does not
        exist, again after each "the broker is unavailable" answer, until their node
        answers that the group is unavailable, which it can only say once it is back
        with the broker. The question changes nothing, and each try waits for the
        node's answer; nothing sleeps."""
        for person in self.people:
            if person.client.state == "closed":
                continue

            def ask(person: Participant = person) -> bool:
                nowhere = self.unique_name(f"nowhere {uuid.uuid4().hex[:8]}")
                person.request(chat.join_group(nowhere))
                answer = person.hear_one_of(
                    chat.group_unavailable(nowhere), chat.BROKER_UNAVAILABLE
                )
                return answer != chat.BROKER_UNAVAILABLE

            _until_accepted(ask, f"{person.name}'s node still could not reach its broker")

    def stop_reading(self, name: str) -> None:
        """``name``'s client stops reading its socket, as a hung or overloaded app would."""
        self[name].client.stop_reading()
        self.not_reading.add(name)

    def post_many(self, name: str, group: str, count: int, size: int) -> list[str]:
        """``name`` posts ``count`` different messages of ``size`` characters to
        ``group``, in bursts of :data:`BURST` at the pace the members who read keep
        up with (each burst goes out once they have the one before, as a poster
        in a live group would); return the posts, in order."""
        wire_name = self.unique_name(group)
        readers = [n for n in self.member_names(group) if n not in self.not_reading]
        posts = [f"{number:06d} " + "x" * (size - 7) for number in range(count)]
        for start in range(0, count, BURST):
            burst = posts[start : start + BURST]
            requests = [json.dumps(chat.message_group(wire_name, post)) for post in burst]
            self[name].send_all(requests)
            for reader in readers:
                self[reader].client.wait_for_message(burst[-1])
        return posts

    def flood(self, name: str, count: int) -> list[str]:
        """``name`` sends ``count`` triple-echo requests in one burst, as fast as the
        server takes them; return the texts asked for, in order."""
        padding = "x" * FLOOD_PADDING
        texts = [f"flood {number} {padding}" for number in range(count)]
        self[name].send_all([json.dumps(chat.echo_times_3(text)) for text in texts])
        return texts

    def burst_of_echoes(self, name: str, count: int) -> list[str]:
        """``name`` sends ``count`` echo requests in one burst; return the texts asked for."""
        texts = [f"burst {number}" for number in range(count)]
        self[name].send_all([json.dumps(chat.echo(text)) for text in texts])
        return texts

    def hear_held_back(self, name: str, texts: list[str], allowed: int, reason: str) -> None:
        """``name`` hears one reply per request of a burst, in order: the echo of each of
        the first ``allowed``, then the refusal ``reason`` for each of the rest, but for
        the few the rate's allowance refilled with while the burst arrived (at most one
        in four), which are echoed."""
        refusal = chat.error(reason)
        replies = [record.data for record in self[name].hear_next(len(texts))]
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

    def was_cut_off(self, name: str, posts: list[str]) -> None:
        """``name``, who stopped reading, reads again: the server closed the connection
        before sending every post (with 1013, or by dropping a connection that
        could not even read the close)."""
        person = self[name]
        person.closing_expected = True
        person.client.resume_reading()
        self.not_reading.discard(name)
        code, reason = person.expect_close()
        received = set(person.client.messages)
        missed = sum(1 for post in posts if post not in received)
        if code not in (1013, 1006) or not missed:
            raise AssertionError(
                f"{name} was expected to be cut off for reading too slowly; the connection "
                f"closed with code {code} ({reason!r}) after {len(posts) - missed} of "
                f"{len(posts)} posts"
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


def _until_accepted(attempt: Callable[[], bool], still_refused: str) -> None:
    """Repeat ``attempt`` (a request and the wait for its answer) until it returns
    True, failing with ``still_refused`` once the timeout has passed. Each try
    waits for the server's answer; nothing sleeps."""
    deadline = time.monotonic() + settings.timing().wait
    while not attempt():
        if time.monotonic() > deadline:
            raise AssertionError(f"{still_refused} after {settings.timing().wait:g} s")
