"""The chat rules without a network: examples, then random sequences of operations."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from server.chat import (
    CreateGroup,
    Delivery,
    Echo,
    EchoTimes3,
    GroupName,
    JoinGroup,
    LeaveGroup,
    MessageGroup,
)
from server.wire import parse_command
from tests.rooms import Rooms


def _rooms(*people: str) -> Rooms[str]:
    rooms: Rooms[str] = Rooms()
    for person in people:
        rooms.connect(person)
    return rooms


def test_echo_and_triple_echo_answer_only_the_sender() -> None:
    """ECHO sends the value back once, ECHO_TIMES_3 three times, to the sender alone."""
    rooms = _rooms("alice", "bob")
    assert rooms.handle("alice", Echo("hi")) == [Delivery(("alice",), "hi")]
    assert rooms.handle("alice", EchoTimes3("hi")) == [Delivery(("alice",), "hi")] * 3


def test_creating_joining_and_posting() -> None:
    """The article's group story: create, join, and a post reaching both members."""
    rooms = _rooms("alice", "bob", "carol")
    assert rooms.handle("alice", CreateGroup(GroupName.of("g"))) == [
        Delivery(("alice",), "GROUP_CREATED: g")
    ]
    assert rooms.handle("bob", JoinGroup(GroupName.of("g"))) == [
        Delivery(("bob",), "GROUP_JOINED: g")
    ]
    [delivery] = rooms.handle("bob", MessageGroup(GroupName.of("g"), "hello"))
    assert sorted(delivery.recipients) == ["alice", "bob"]
    assert delivery.text == "hello"


def test_taken_and_unknown_names_are_unavailable() -> None:
    """A taken name cannot be created, an unknown one cannot be joined."""
    rooms = _rooms("alice", "bob")
    rooms.handle("alice", CreateGroup(GroupName.of("g")))
    assert rooms.handle("bob", CreateGroup(GroupName.of("g"))) == [
        Delivery(("bob",), "GROUP_UNAVAILABLE: g")
    ]
    assert rooms.handle("bob", JoinGroup(GroupName.of("h"))) == [
        Delivery(("bob",), "GROUP_UNAVAILABLE: h")
    ]
    assert rooms.group_of("bob") is None


def test_a_non_member_is_told_and_nobody_else_hears() -> None:
    """A post to a group the sender is not in reaches nobody; the sender gets an error."""
    rooms = _rooms("alice", "carol")
    rooms.handle("alice", CreateGroup(GroupName.of("g")))
    assert rooms.handle("carol", MessageGroup(GroupName.of("g"), "psst")) == [
        Delivery(("carol",), "ERROR: you are not a member of g")
    ]


def test_leaving_and_the_last_member_deletes_the_group() -> None:
    """LEAVE_GROUP confirms; an empty group is deleted and its name is free again."""
    rooms = _rooms("alice", "bob")
    rooms.handle("alice", CreateGroup(GroupName.of("g")))
    assert rooms.handle("alice", LeaveGroup()) == [Delivery(("alice",), "GROUP_LEFT: g")]
    assert rooms.groups() == frozenset()
    assert rooms.handle("alice", LeaveGroup()) == [
        Delivery(("alice",), "ERROR: you are not in a group")
    ]
    assert rooms.handle("bob", CreateGroup(GroupName.of("g"))) == [
        Delivery(("bob",), "GROUP_CREATED: g")
    ]


def test_a_group_outlives_its_creator_while_members_remain() -> None:
    """The creator disconnecting does not end the group for the others."""
    rooms = _rooms("alice", "bob")
    rooms.handle("alice", CreateGroup(GroupName.of("g")))
    rooms.handle("bob", JoinGroup(GroupName.of("g")))
    rooms.disconnect("alice")
    assert rooms.members("g") == frozenset({"bob"})
    rooms.disconnect("bob")
    assert "g" not in rooms.groups()


COMPOSED, DECOMPOSED = "caf\u00e9", "cafe\u0301"
"""One name, two spellings: "é" as one character, and "e" with a combining accent."""


def _request(rooms: Rooms[str], sender: str, kind: str, value: object) -> list[str]:
    """What ``sender`` is sent for a request as it arrives on the wire."""
    deliveries = rooms.handle(sender, parse_command(json.dumps({"type": kind, "value": value})))
    return [d.text for d in deliveries if sender in d.recipients]


def test_two_spellings_of_a_name_are_one_group() -> None:
    """Equal under NFC is one group; every reply names it as its sender wrote it."""
    rooms = _rooms("alice", "bob", "carol")
    assert _request(rooms, "alice", "CREATE_GROUP", COMPOSED) == [f"GROUP_CREATED: {COMPOSED}"]
    assert _request(rooms, "bob", "JOIN_GROUP", DECOMPOSED) == [f"GROUP_JOINED: {DECOMPOSED}"]
    assert _request(rooms, "carol", "CREATE_GROUP", DECOMPOSED) == [
        f"GROUP_UNAVAILABLE: {DECOMPOSED}"
    ]
    assert rooms.groups() == frozenset({COMPOSED})
    assert rooms.members(COMPOSED) == frozenset({"alice", "bob"})


def test_members_who_spell_the_name_differently_hear_each_other() -> None:
    """A post in either spelling reaches every member, as the message alone."""
    rooms = _rooms("alice", "bob")
    _request(rooms, "alice", "CREATE_GROUP", COMPOSED)
    _request(rooms, "bob", "JOIN_GROUP", DECOMPOSED)
    post = {"groupName": DECOMPOSED, "groupMessage": "hi"}
    [delivery] = rooms.handle(
        "bob", parse_command(json.dumps({"type": "MESSAGE_GROUP", "value": post}))
    )
    assert sorted(delivery.recipients) == ["alice", "bob"] and delivery.text == "hi"


def test_leaving_and_rejoining_name_the_group_as_the_member_wrote_it() -> None:
    """A member keeps its own spelling: rejoining in another is confirmed in that one
    and changes nothing, and leaving names the spelling it joined with."""
    rooms = _rooms("alice", "bob")
    _request(rooms, "alice", "CREATE_GROUP", COMPOSED)
    _request(rooms, "bob", "JOIN_GROUP", DECOMPOSED)
    assert _request(rooms, "bob", "JOIN_GROUP", COMPOSED) == [f"GROUP_JOINED: {COMPOSED}"]
    assert _request(rooms, "bob", "LEAVE_GROUP", None) == [f"GROUP_LEFT: {DECOMPOSED}"]
    assert _request(rooms, "alice", "LEAVE_GROUP", None) == [f"GROUP_LEFT: {COMPOSED}"]
    assert rooms.groups() == frozenset()


PEOPLE = ("ann", "ben", "cid", "dee")
GROUPS = ("red", "green", COMPOSED, DECOMPOSED)


def _key(group: str) -> str:
    return unicodedata.normalize("NFC", group)


class ChatRoomsMachine(RuleBasedStateMachine):
    """Random operations against the rules, checked against a tiny model of membership
    that keeps each member's group as the member wrote it and compares names by key."""

    def __init__(self) -> None:
        super().__init__()
        self.rooms: Rooms[str] = Rooms()
        self.connected: set[str] = set()
        self.group_of: dict[str, str] = {}
        """Each member's group, as the member wrote it."""

    def _keys(self) -> frozenset[str]:
        return frozenset(_key(group) for group in self.group_of.values())

    @rule(person=st.sampled_from(PEOPLE))
    def connect(self, person: str) -> None:
        if person not in self.connected:
            self.rooms.connect(person)
            self.connected.add(person)

    @precondition(lambda self: self.connected)
    @rule(data=st.data())
    def disconnect(self, data: st.DataObject) -> None:
        person = data.draw(st.sampled_from(sorted(self.connected)))
        self.rooms.disconnect(person)
        self.connected.discard(person)
        self.group_of.pop(person, None)

    @precondition(lambda self: self.connected)
    @rule(data=st.data(), group=st.sampled_from(GROUPS))
    def create(self, data: st.DataObject, group: str) -> None:
        person = data.draw(st.sampled_from(sorted(self.connected)))
        taken = _key(group) in self._keys()
        deliveries = self.rooms.handle(person, CreateGroup(GroupName.of(group)))
        if taken:
            assert deliveries == [Delivery((person,), f"GROUP_UNAVAILABLE: {group}")]
        else:
            assert deliveries == [Delivery((person,), f"GROUP_CREATED: {group}")]
            self.group_of[person] = group

    @precondition(lambda self: self.connected)
    @rule(data=st.data(), group=st.sampled_from(GROUPS))
    def join(self, data: st.DataObject, group: str) -> None:
        person = data.draw(st.sampled_from(sorted(self.connected)))
        exists = _key(group) in self._keys()
        deliveries = self.rooms.handle(person, JoinGroup(GroupName.of(group)))
        if exists:
            assert deliveries == [Delivery((person,), f"GROUP_JOINED: {group}")]
            if _key(self.group_of.get(person, "")) != _key(group):  # rejoining changes nothing
                self.group_of[person] = group
        else:
            assert deliveries == [Delivery((person,), f"GROUP_UNAVAILABLE: {group}")]

    @precondition(lambda self: self.connected)
    @rule(data=st.data())
    def leave(self, data: st.DataObject) -> None:
        person = data.draw(st.sampled_from(sorted(self.connected)))
        deliveries = self.rooms.handle(person, LeaveGroup())
        if person in self.group_of:
            assert deliveries == [Delivery((person,), f"GROUP_LEFT: {self.group_of.pop(person)}")]
        else:
            assert deliveries == [Delivery((person,), "ERROR: you are not in a group")]

    @precondition(lambda self: self.connected)
    @rule(data=st.data(), group=st.sampled_from(GROUPS), text=st.text(max_size=5))
    def post(self, data: st.DataObject, group: str, text: str) -> None:
        person = data.draw(st.sampled_from(sorted(self.connected)))
        deliveries = self.rooms.handle(person, MessageGroup(GroupName.of(group), text))
        received = Counter(r for d in deliveries for r in d.recipients if d.text == text)
        if _key(self.group_of.get(person, "")) == _key(group):
            members = {p for p, g in self.group_of.items() if _key(g) == _key(group)}
            assert set(received) == members, "every member, and only members"
            assert all(n == 1 for n in received.values()), "exactly once each"
        else:
            assert all(d.recipients == (person,) for d in deliveries), "nobody else hears"
            assert deliveries[0].text.startswith("ERROR: ")

    @invariant()
    def membership_matches_the_model(self) -> None:
        for person in PEOPLE:
            group = self.group_of.get(person)
            assert self.rooms.group_of(person) == (_key(group) if group is not None else None)
        for key in {_key(group) for group in GROUPS}:
            expected = {p for p, g in self.group_of.items() if _key(g) == key}
            assert self.rooms.members(key) == expected

    @invariant()
    def no_empty_group_survives(self) -> None:
        assert self.rooms.groups() == self._keys()
        assert self.rooms.connections() == frozenset(self.connected)


# No deadline and no "too slow" health check: a fresh CI machine has no hypothesis
# cache, and building it makes the first examples slow through no fault of the rules.
ChatRoomsMachine.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_chat_rooms_random_operations = ChatRoomsMachine.TestCase
