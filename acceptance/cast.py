"""The chat server's cast: the library's people plus the groups a scenario built.

:class:`ChatCast` is :class:`wsharness.bdd.Cast` with what only the chat
protocol has: who the scenario expects in which group, a crowd joining a group
at once, and creating a group as soon as its name is free.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence

from acceptance import chat
from wsharness import settings
from wsharness.bdd import Cast, ConnectionOptions, ProtocolAdapter


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
        self.groups: dict[str, set[str]] = {}
        """Who the scenario expects in each group (feature-text names)."""

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

    def send_create_requests_together(self, names: Iterable[str], group: str) -> None:
        """Everyone named asks to create ``group`` at once: all requests go out
        before any reply is awaited."""
        for name in names:
            self[name].request(chat.create_group(self.unique_name(group)))

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
        deadline = time.monotonic() + settings.timing().wait
        for person in self.people:
            if person.client.state == "closed":
                continue
            while True:
                nowhere = self.unique_name(f"nowhere {uuid.uuid4().hex[:8]}")
                person.request(chat.join_group(nowhere))
                answer = person.hear_one_of(
                    chat.group_unavailable(nowhere), chat.BROKER_UNAVAILABLE
                )
                if answer != chat.BROKER_UNAVAILABLE:
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"{person.name}'s node still could not reach its broker after "
                        f"{settings.timing().wait:g} s"
                    )

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
