"""The pure parts of a cluster node: its decisions, its own members, its names in Redis."""

from __future__ import annotations

import inspect

from hypothesis import given
from hypothesis import strategies as st

from server import cli
from server.chat import (
    Answer,
    Claim,
    Command,
    CreateGroup,
    Delivery,
    Echo,
    EchoTimes3,
    GroupName,
    JoinGroup,
    Leave,
    LeaveGroup,
    Membership,
    MessageGroup,
    Publish,
    plan,
)
from server.cluster import node
from server.cluster.keys import NODE_ID_LENGTH, Keys, decode_post, encode_post, new_node_id
from tests.rooms import Rooms

G, H = GroupName.of("g"), GroupName.of("h")
CAFE, CAFE_DECOMPOSED = GroupName.of("caf\u00e9"), GroupName.of("cafe\u0301")
"""One name in two spellings: "é" as one character, and "e" with a combining accent."""


def test_echoes_are_answered_by_the_node_after_a_barrier() -> None:
    """Echoes need no broker, but are marked to wait for posts already on their way."""
    assert plan(Echo("hi"), None) == Answer(("hi",), echo=True)
    assert plan(EchoTimes3("hi"), G) == Answer(("hi", "hi", "hi"), echo=True)


def test_what_the_sender_s_own_group_decides_is_answered_at_once() -> None:
    """Creating or joining one's own group, leaving none, posting elsewhere: no broker."""
    assert plan(CreateGroup(G), G) == Answer(("GROUP_UNAVAILABLE: g",))
    assert plan(JoinGroup(G), G) == Answer(("GROUP_JOINED: g",))
    assert plan(LeaveGroup(), None) == Answer(("ERROR: you are not in a group",))
    assert plan(MessageGroup(G, "hi"), None) == Answer(("ERROR: you are not a member of g",))
    assert plan(MessageGroup(G, "hi"), H) == Answer(("ERROR: you are not a member of g",))


def test_what_the_cluster_decides_goes_to_the_broker() -> None:
    """Whether a name is taken, and who hears a post, only the broker knows."""
    assert plan(CreateGroup(G), None) == Claim(G, create=True)
    assert plan(CreateGroup(G), H) == Claim(G, create=True)
    assert plan(JoinGroup(G), H) == Claim(G, create=False)
    assert plan(LeaveGroup(), G) == Leave(G)
    assert plan(MessageGroup(G, "hi"), G) == Publish(G, "hi")


def test_a_claim_s_reply_follows_the_broker_s_answer() -> None:
    assert Claim(G, create=True).reply(granted=True) == "GROUP_CREATED: g"
    assert Claim(G, create=False).reply(granted=True) == "GROUP_JOINED: g"
    assert Claim(G, create=True).reply(granted=False) == "GROUP_UNAVAILABLE: g"
    assert Claim(G, create=False).reply(granted=False) == "GROUP_UNAVAILABLE: g"


def test_the_sender_s_own_group_in_another_spelling_is_still_its_own() -> None:
    """The node decides alone by key, and answers in the spelling of the request."""
    assert plan(CreateGroup(CAFE_DECOMPOSED), CAFE) == Answer(("GROUP_UNAVAILABLE: cafe\u0301",))
    assert plan(JoinGroup(CAFE_DECOMPOSED), CAFE) == Answer(("GROUP_JOINED: cafe\u0301",))
    assert plan(MessageGroup(CAFE_DECOMPOSED, "hi"), CAFE) == Publish(CAFE_DECOMPOSED, "hi")
    assert plan(LeaveGroup(), CAFE_DECOMPOSED) == Leave(CAFE_DECOMPOSED)


def test_a_claim_goes_to_the_broker_by_key_and_is_answered_as_written() -> None:
    """What the broker is asked about is the key; what the sender reads is its spelling."""
    claim = plan(JoinGroup(CAFE_DECOMPOSED), None)
    assert isinstance(claim, Claim) and claim.name.key == "caf\u00e9"
    assert claim.reply(granted=True) == "GROUP_JOINED: cafe\u0301"


names = st.sampled_from([G, H, CAFE, CAFE_DECOMPOSED])
commands = st.one_of(
    st.builds(Echo, st.sampled_from(["hi", ""])),
    st.builds(EchoTimes3, st.just("hi")),
    st.builds(CreateGroup, names),
    st.builds(JoinGroup, names),
    st.just(LeaveGroup()),
    st.builds(MessageGroup, names, st.just("post")),
)


@given(st.lists(st.tuples(st.sampled_from(["alice", "bob"]), commands), max_size=30))
def test_a_node_alone_answers_exactly_as_the_one_process_rules(
    script: list[tuple[str, Command]],
) -> None:
    """With a broker that holds only this node's members, every reply and delivery
    equals the single-process rules' (groups' membership compared as sets), with
    names in either spelling."""
    rooms: Rooms[str] = Rooms()
    local: Membership[str] = Membership()
    for person in ("alice", "bob"):
        rooms.connect(person)
    for sender, command in script:
        expected = rooms.handle(sender, command)
        step = plan(command, local.group_of(sender))
        actual: list[Delivery[str]]
        match step:
            case Answer(texts):
                actual = [Delivery((sender,), text) for text in texts]
            case Claim(name, create):
                granted = bool(local.members(name.key)) != create
                if granted:
                    local.move(sender, name)
                actual = [Delivery((sender,), step.reply(granted=granted))]
            case Leave(name):
                local.remove(sender)
                actual = [Delivery((sender,), f"GROUP_LEFT: {name.written}")]
            case Publish(name, message):
                actual = [Delivery(tuple(local.members(name.key)), message)]
        assert [(set(d.recipients), d.text) for d in actual] == [
            (set(d.recipients), d.text) for d in expected
        ]
        assert local.groups() == rooms.groups()


def test_local_groups_move_and_count_changes() -> None:
    """A connection is in one group at most; an emptied group disappears; each move counts."""
    local: Membership[str] = Membership()
    assert local.move("alice", G) is None
    assert local.move("bob", G) is None
    assert local.move("alice", H) == G
    assert local.members("g") == {"bob"} and local.members("h") == {"alice"}
    before = local.version
    assert local.remove("bob") == G
    assert local.version > before
    assert local.groups() == frozenset({"h"}) and local.members("g") == frozenset()
    before = local.version
    assert local.remove("bob") is None
    assert local.version == before  # removing nobody changes nothing
    assert local.held() == {"alice": H}


def test_local_groups_are_kept_by_key_and_remember_each_spelling() -> None:
    """Two spellings are one group of members; each member keeps the one it used."""
    local: Membership[str] = Membership()
    local.move("alice", CAFE)
    local.move("bob", CAFE_DECOMPOSED)
    assert local.groups() == frozenset({"caf\u00e9"})
    assert local.members("caf\u00e9") == {"alice", "bob"}
    assert local.held() == {"alice": CAFE, "bob": CAFE_DECOMPOSED}


def test_key_names_share_one_prefix() -> None:
    keys = Keys("app:")
    assert keys.group("book club") == "app:group:book club"
    assert keys.node("ab12cd34") == "app:node:ab12cd34"
    assert keys.alive("ab12cd34") == "app:alive:ab12cd34"
    assert keys.nodes == "app:nodes"
    assert keys.channel("book club") == b"app:posts:book club"


@given(st.text())
def test_a_channel_names_its_group(name: str) -> None:
    keys = Keys()
    assert keys.group_of_channel(keys.channel(name)) == name


def test_other_channels_name_no_group() -> None:
    assert Keys().group_of_channel(b"other:posts:g") is None


@given(st.text())
def test_a_post_carries_its_node_and_message_unchanged(message: str) -> None:
    node = new_node_id()
    assert len(node) == NODE_ID_LENGTH
    assert decode_post(encode_post(node, message)) == (node, message)


def test_node_ids_differ() -> None:
    assert len({new_node_id() for _ in range(100)}) == 100


def test_leaving_outside_a_group_reads_the_same_in_both_implementations() -> None:
    text = "ERROR: you are not in a group"
    rooms: Rooms[str] = Rooms()
    rooms.connect("alice")
    assert rooms.handle("alice", LeaveGroup()) == [Delivery(("alice",), text)]
    assert plan(LeaveGroup(), None) == Answer((text,))


def test_the_command_line_default_node_timeout_is_the_node_s() -> None:
    """One default for both, declared where --help finds it without importing redis."""
    default = inspect.signature(node.Node).parameters["node_timeout"].default
    assert cli.parse_args([]).node_timeout == default
