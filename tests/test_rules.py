"""The chat rules without a network: examples, then random sequences of operations."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from server.commands import (
    CreateGroup,
    Echo,
    EchoTimes3,
    JoinGroup,
    LeaveGroup,
    MessageGroup,
)
from server.rules import ChatRooms, Delivery


def _rooms(*people: str) -> ChatRooms[str]:
    rooms: ChatRooms[str] = ChatRooms()
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
    assert rooms.handle("alice", CreateGroup("g")) == [Delivery(("alice",), "GROUP_CREATED: g")]
    assert rooms.handle("bob", JoinGroup("g")) == [Delivery(("bob",), "GROUP_JOINED: g")]
    [delivery] = rooms.handle("bob", MessageGroup("g", "hello"))
    assert sorted(delivery.recipients) == ["alice", "bob"]
    assert delivery.text == "hello"


def test_taken_and_unknown_names_are_unavailable() -> None:
    """A taken name cannot be created, an unknown one cannot be joined."""
    rooms = _rooms("alice", "bob")
    rooms.handle("alice", CreateGroup("g"))
    assert rooms.handle("bob", CreateGroup("g")) == [Delivery(("bob",), "GROUP_UNAVAILABLE: g")]
    assert rooms.handle("bob", JoinGroup("h")) == [Delivery(("bob",), "GROUP_UNAVAILABLE: h")]
    assert rooms.group_of("bob") is None


def test_a_non_member_is_told_and_nobody_else_hears() -> None:
    """A post to a group the sender is not in reaches nobody; the sender gets an error."""
    rooms = _rooms("alice", "carol")
    rooms.handle("alice", CreateGroup("g"))
    assert rooms.handle("carol", MessageGroup("g", "psst")) == [
        Delivery(("carol",), "ERROR: you are not a member of g")
    ]


def test_leaving_and_the_last_member_deletes_the_group() -> None:
    """LEAVE_GROUP confirms; an empty group is deleted and its name is free again."""
    rooms = _rooms("alice", "bob")
    rooms.handle("alice", CreateGroup("g"))
    assert rooms.handle("alice", LeaveGroup()) == [Delivery(("alice",), "GROUP_LEFT: g")]
    assert rooms.groups() == frozenset()
    assert rooms.handle("alice", LeaveGroup()) == [
        Delivery(("alice",), "ERROR: you are not in a group")
    ]
    assert rooms.handle("bob", CreateGroup("g")) == [Delivery(("bob",), "GROUP_CREATED: g")]


def test_a_group_outlives_its_creator_while_members_remain() -> None:
    """The creator disconnecting does not end the group for the others."""
    rooms = _rooms("alice", "bob")
    rooms.handle("alice", CreateGroup("g"))
    rooms.handle("bob", JoinGroup("g"))
    rooms.disconnect("alice")
    assert rooms.members("g") == frozenset({"bob"})
    rooms.disconnect("bob")
    assert "g" not in rooms.groups()


PEOPLE = ("ann", "ben", "cid", "dee")
GROUPS = ("red", "green", "blue")


class ChatRoomsMachine(RuleBasedStateMachine):
    """Random operations against the rules, checked against a tiny model of membership."""

    def __init__(self) -> None:
        super().__init__()
        self.rooms: ChatRooms[str] = ChatRooms()
        self.connected: set[str] = set()
        self.group_of: dict[str, str] = {}

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
        taken = group in self.group_of.values()
        deliveries = self.rooms.handle(person, CreateGroup(group))
        if taken:
            assert deliveries == [Delivery((person,), f"GROUP_UNAVAILABLE: {group}")]
        else:
            assert deliveries == [Delivery((person,), f"GROUP_CREATED: {group}")]
            self.group_of[person] = group

    @precondition(lambda self: self.connected)
    @rule(data=st.data(), group=st.sampled_from(GROUPS))
    def join(self, data: st.DataObject, group: str) -> None:
        person = data.draw(st.sampled_from(sorted(self.connected)))
        exists = group in self.group_of.values()
        deliveries = self.rooms.handle(person, JoinGroup(group))
        if exists:
            assert deliveries == [Delivery((person,), f"GROUP_JOINED: {group}")]
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
        deliveries = self.rooms.handle(person, MessageGroup(group, text))
        received = Counter(r for d in deliveries for r in d.recipients if d.text == text)
        if self.group_of.get(person) == group:
            members = {p for p, g in self.group_of.items() if g == group}
            assert set(received) == members, "every member, and only members"
            assert all(n == 1 for n in received.values()), "exactly once each"
        else:
            assert all(d.recipients == (person,) for d in deliveries), "nobody else hears"
            assert deliveries[0].text.startswith("ERROR: ")

    @invariant()
    def membership_matches_the_model(self) -> None:
        for person in PEOPLE:
            assert self.rooms.group_of(person) == self.group_of.get(person)
        for group in GROUPS:
            expected = {p for p, g in self.group_of.items() if g == group}
            assert self.rooms.members(group) == expected

    @invariant()
    def no_empty_group_survives(self) -> None:
        assert self.rooms.groups() == frozenset(self.group_of.values())
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
