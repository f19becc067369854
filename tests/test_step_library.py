"""The step library's pieces on their own: noted values, connection options, help for
undefined steps, the quiet-window proof of silence, and how JSON mismatches are told."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import trustme
from behave.parser import parse_feature
from behave.step_registry import StepRegistry
from websockets.asyncio.server import ServerConnection

from tests.support import ControlledServer, controlled_server
from wsharness import ConnectionLost, UnexpectedMessage, WaitTimeout, json_containing, settings
from wsharness.bdd import Cast, ConnectionOptions, Participant, ProtocolAdapter
from wsharness.bdd.step_types import explain_undefined
from wsharness.bdd.target import Target
from wsharness.bdd.values import Notebook, field_of
from wsharness.deprecated import Renamed
from wsharness.records import describe_url

# ---------------------------------------------------------------------------
# Noted values


def test_fill_puts_noted_values_where_their_names_are() -> None:
    """``{order}`` becomes the value noted as order, in a step argument or doc-string."""
    notebook = Notebook()
    notebook.note("order", "A-17")
    notebook.note("tick", "3")
    assert notebook.fill("order {order}, tick {tick}, order again {order}") == (
        "order A-17, tick 3, order again A-17"
    )


def test_fill_leaves_json_as_written() -> None:
    """Braces around quoted keys are JSON, not names: a doc-string passes unchanged."""
    notebook = Notebook()
    notebook.note("order", "A-17")
    text = '{"op": "cancel", "id": "{order}", "nested": {"a": [1, {"b": 2}]}}'
    assert notebook.fill(text) == ('{"op": "cancel", "id": "A-17", "nested": {"a": [1, {"b": 2}]}}')


def test_an_escaped_name_stays_as_written() -> None:
    """``\\{order}`` is the text ``{order}``, even when order was noted."""
    notebook = Notebook()
    notebook.note("order", "A-17")
    assert notebook.fill(r"literally \{order}, really {order}") == "literally {order}, really A-17"


def test_an_unknown_name_fails_and_lists_the_names_noted() -> None:
    """A name nobody noted fails the step with the names that were noted."""
    notebook = Notebook()
    notebook.note("tick", "1")
    notebook.note("order", "A-17")
    with pytest.raises(AssertionError) as failure:
        notebook.fill("cancel {ordr}")
    assert str(failure.value) == (
        "no value was noted as {ordr}; the names noted so far: order, tick"
    )


def test_an_unknown_name_before_any_note_says_none_yet() -> None:
    with pytest.raises(AssertionError, match=r"the names noted so far: none yet$"):
        Notebook().fill("{order}")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("id", "A-17"),
        ("order.total", "42.5"),
        ("order.items.1.sku", "B2"),
        ("order.items.0", '{"sku": "A1"}'),
        ("paid", "true"),
        ("note", "null"),
    ],
)
def test_field_of_walks_keys_and_list_positions(path: str, value: str) -> None:
    """Strings come back as they are; anything else as JSON text."""
    message = (
        '{"id": "A-17", "paid": true, "note": null,'
        ' "order": {"total": 42.5, "items": [{"sku": "A1"}, {"sku": "B2"}]}}'
    )
    assert field_of(message, path) == value


@pytest.mark.parametrize(
    ("path", "missing"),
    [("ref", "`ref`"), ("order.id", "`order.id`"), ("order.items.2", "`order.items.2`")],
)
def test_field_of_names_the_part_of_the_path_that_is_missing(path: str, missing: str) -> None:
    message = '{"id": "A-17", "order": {"items": [1, 2]}}'
    with pytest.raises(AssertionError) as failure:
        field_of(message, path)
    assert str(failure.value) == f"'{message}' has no {missing}"


@pytest.mark.parametrize(
    ("message", "why"), [("hello", "it is not JSON"), (b"\x00\x01", "it is binary")]
)
def test_field_of_a_message_that_is_not_json_says_so(message: str | bytes, why: str) -> None:
    with pytest.raises(AssertionError, match=f"cannot read `id` of .*: {why}$"):
        field_of(message, "id")


# ---------------------------------------------------------------------------
# Connection options


def test_userdata_comes_before_the_environment() -> None:
    """-D options win; the WS_* variables fill in what -D leaves out or leaves empty."""
    options = Target.from_settings(
        {"server_url": "ws://127.0.0.1:1", "auth_token": "from-userdata", "origin": ""},
        {
            "WS_AUTH_TOKEN": "from-env",
            "WS_ORIGIN": "https://app.example",
            "WS_SUBPROTOCOLS": "pubsub.v1, pubsub.v0",
            "WS_HEADERS": "X-Tenant: blue; X-Trace: 1",
        },
    ).options
    assert options == ConnectionOptions(
        auth_token="from-userdata",
        origin="https://app.example",
        subprotocols=("pubsub.v1", "pubsub.v0"),
        headers=(("X-Tenant", "blue"), ("X-Trace", "1")),
    )


def test_no_options_at_all_are_the_defaults() -> None:
    assert Target.from_settings({}, {}).options == ConnectionOptions()


@pytest.mark.parametrize("headers", ["X-Tenant blue", "X-A: 1; : 2"])
def test_a_bad_header_is_refused_in_one_line(headers: str) -> None:
    with pytest.raises(ValueError) as failure:
        Target.from_settings({"headers": headers}, {})
    message = str(failure.value)
    assert (
        message.startswith("headers: a header must read 'Name: value', not ")
        and "\n" not in message
    )


def test_a_ca_file_that_does_not_exist_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match=r"^ca_file '/nonexistent/ca.pem' is not a readable file$"):
        Target.from_settings({}, {"WS_CA_FILE": "/nonexistent/ca.pem"})


def test_connect_arguments_carry_every_option() -> None:
    """The token goes last among the headers, as ``Authorization: Bearer``."""
    options = ConnectionOptions(
        auth_token="s3cret",
        origin="https://app.example",
        subprotocols=("pubsub.v1",),
        headers=(("X-Tenant", "blue"),),
    )
    assert options.connect_arguments("ws://127.0.0.1:1") == {
        "additional_headers": [("X-Tenant", "blue"), ("Authorization", "Bearer s3cret")],
        "origin": "https://app.example",
        "subprotocols": ["pubsub.v1"],
    }
    assert ConnectionOptions().connect_arguments("ws://127.0.0.1:1") == {}


def test_the_ca_file_is_trusted_for_wss_only(tmp_path: Path) -> None:
    """A CA file builds an SSL context for wss:// URLs; ws:// gets none."""
    ca_file = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca_file))
    options = Target.from_settings(
        {"server_url": "wss://127.0.0.1:1", "ca_file": str(ca_file)}, {}
    ).options
    assert isinstance(options.connect_arguments("wss://127.0.0.1:1")["ssl"], ssl.SSLContext)
    assert "ssl" not in options.connect_arguments("ws://127.0.0.1:1")


def test_one_person_can_differ_from_the_run() -> None:
    """but() and with_header() change a copy, for one person; the run keeps its options."""
    run = ConnectionOptions(auth_token="s3cret", headers=(("X-Tenant", "blue"),))
    mallory = run.but(auth_token=None).with_header("X-Trace: 7")
    assert mallory.auth_token is None
    assert mallory.headers == (("X-Tenant", "blue"), ("X-Trace", "7"))
    assert run == ConnectionOptions(auth_token="s3cret", headers=(("X-Tenant", "blue"),))


# ---------------------------------------------------------------------------
# Help for steps that match nothing


def _step() -> None:
    """A step body: the registry only matches patterns."""


@pytest.fixture
def registry() -> StepRegistry:
    """A registry with two of the library's patterns, apart from behave's global one."""
    import wsharness.bdd.step_types  # noqa: F401  (registers {name:Name} and {names:Names})

    steps = StepRegistry()
    steps.add_step_definition("then", '{names:Names} receives "{text}"', _step)
    steps.add_step_definition("then", "{names:Names} receives nothing else", _step)
    return steps


def _explain(registry: StepRegistry, *lines: str) -> list[str]:
    text = "Feature: F\n  Scenario: S\n" + "".join(f"    Then {line}\n" for line in lines)
    feature = parse_feature(text, filename="f.feature")
    steps = [step for scenario in feature.walk_scenarios() for step in scenario.all_steps]
    return list(explain_undefined(registry, steps))


def test_a_defined_step_needs_no_help(registry: StepRegistry) -> None:
    assert _explain(registry, 'Alice and Bob receives "hi"', "Carol receives nothing else") == []


def test_a_lower_case_name_is_pointed_out(registry: StepRegistry) -> None:
    assert _explain(registry, 'alice receives "hi"') == [
        'f.feature:3: no step matches "alice receives "hi"": '
        'names start with a capital letter, as in "Alice receives "hi""'
    ]


def test_a_near_miss_in_wording_suggests_the_step_meant(registry: StepRegistry) -> None:
    assert _explain(registry, "Alice recieves nothing more") == [
        'f.feature:3: no step matches "Alice recieves nothing more": '
        'did you mean a step like "{names:Names} receives nothing else"?'
    ]


def test_a_step_like_no_other_says_so(registry: StepRegistry) -> None:
    [line] = _explain(registry, "the moon is made of cheese")
    assert line.endswith(
        "no defined step is worded like it (behave --steps-catalog lists them all)"
    )


# ---------------------------------------------------------------------------
# "Nothing else" without a round trip: the quiet window


async def _answer_go(connection: ServerConnection) -> None:
    """Say "surprise" for every "go", and nothing else."""
    async for message in connection:
        if message == "go":
            await connection.send("surprise")


@pytest.fixture
def quiet_server() -> Iterator[ControlledServer]:
    with controlled_server(_answer_go) as server:
        yield server


@pytest.fixture
def cast(quiet_server: ControlledServer) -> Iterator[Cast]:
    """A cast for a protocol the library knows nothing about: no round trip."""
    people = Cast([quiet_server.url], adapter=ProtocolAdapter())
    try:
        yield people
    finally:
        people.close_all()


def test_silence_without_a_round_trip_is_a_quiet_window(cast: Cast) -> None:
    """With nobody sending anything, "nothing else" passes after watching the window."""
    [alice] = cast.connect(["Alice"])
    started = time.monotonic()
    cast.assert_nothing_else([alice])
    assert time.monotonic() - started >= settings.timing().quiet * 0.9


def test_a_message_during_the_quiet_window_fails_and_says_how(cast: Cast) -> None:
    """A message still on its way when the check starts is caught in the window, and
    the failure says silence was watched for, not proven."""
    [alice] = cast.connect(["Alice"])
    alice.send("go")
    with pytest.raises(UnexpectedMessage) as failure:
        cast.assert_nothing_else([alice])
    message = str(failure.value)
    assert "surprise" in message
    assert f"(watched for {settings.timing().quiet:g} s: the protocol has no round trip)" in message


def test_a_message_that_arrived_before_the_check_fails_and_says_how(cast: Cast) -> None:
    """A message already there, that no step took, fails the check too."""
    [alice] = cast.connect(["Alice"])
    alice.send("go")
    alice.client.wait_for_message("surprise")
    with pytest.raises(UnexpectedMessage) as failure:
        cast.assert_nothing_else([alice])
    assert str(failure.value) == (
        "Alice heard 1 message no step expected (watched for "
        f"{settings.timing().quiet:g} s: the protocol has no round trip):\n  'surprise'"
    )


# ---------------------------------------------------------------------------
# How a JSON message differs from the one expected


@pytest.mark.parametrize(
    ("message", "difference"),
    [
        ('{"op": "message", "topic": "prices", "id": "7"}', "it matches"),
        ('{"op": "message"}', "it has no `topic`"),
        ('{"op": "message", "topic": "news"}', '`topic` is "news", not "prices"'),
        ('{"op": "message", "topic": "prices", "id": 7}', '`id` is 7, not "7"'),
        ("[1, 2]", "the message is [1, 2], not an object"),
        ("hello", "it is not JSON"),
        (b"{}", "it is a binary message"),
    ],
)
def test_json_containing_names_the_first_key_that_differs(
    message: str | bytes, difference: str
) -> None:
    expected = json_containing({"op": "message", "topic": "prices", "id": "7"})
    assert expected.difference(message) == difference


def test_json_containing_names_nested_keys_by_their_path() -> None:
    expected = json_containing({"order": {"total": 4, "lines": {"count": 1}}})
    assert expected.difference('{"order": {"total": 3}}') == "`order.total` is 3, not 4"
    assert expected.difference('{"order": {"total": 4}}') == "`order` has no `lines`"
    assert expected.difference('{"order": {"total": 4, "lines": []}}') == (
        "`order.lines` is [], not an object"
    )
    assert expected.difference('{"order": {"total": 4.0}}') == "`order.total` is 4.0, not 4"


def test_a_json_message_not_received_lists_how_each_one_differs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The failure of "receives a JSON message containing" says where each message
    that did arrive differs from the one expected."""
    monkeypatch.setattr(settings, "_current", replace(settings.timing(), timeout=0.3))

    async def announce(connection: ServerConnection) -> None:
        await connection.send('{"op": "message", "topic": "news"}')
        async for _ in connection:  # hold the connection open until the test closes it
            pass

    with controlled_server(announce) as server:
        people = Cast([server.url])
        try:
            [alice] = people.connect(["Alice"])
            with pytest.raises(WaitTimeout) as failure:
                alice.take_json(json_containing({"op": "message", "topic": "prices"}))
        finally:
            people.close_all()
    message = str(failure.value)
    assert 'a JSON message containing {"op": "message", "topic": "prices"}' in message
    assert message.endswith(
        "how they differ:\n"
        '  \'{"op": "message", "topic": "news"}\': `topic` is "news", not "prices"'
    )


def test_a_token_can_go_in_the_address_and_is_never_shown() -> None:
    """token_in_url sends ?token= (as a browser must) instead of a header; the URL a
    transcript or an error shows reads token=***."""
    options = ConnectionOptions(auth_token="s3cret", token_in_url=True)
    address = options.address("ws://127.0.0.1:1/chat?room=1")
    assert address == "ws://127.0.0.1:1/chat?room=1&token=s3cret"
    assert "additional_headers" not in options.connect_arguments(address)
    assert describe_url(address) == "ws://127.0.0.1:1/chat?room=1&token=***"
    assert ConnectionOptions(auth_token="s3cret").address("ws://h:1/") == "ws://h:1/"


# ---------------------------------------------------------------------------
# What a project's driver needs from the cast, and the old names of taking


def test_the_old_names_of_taking_warn_and_still_take(cast: Cast) -> None:
    """Taking a message has one name, take; code that still says hear works, and warns."""
    [alice] = cast.connect(["Alice"])
    alice.send("go")
    with pytest.warns(
        DeprecationWarning, match=r"Participant\.hear is deprecated; use Participant\.take"
    ):
        record = alice.hear("surprise")
    assert record.data == "surprise"
    assert alice.last_taken is record
    alice.send("go")
    with pytest.warns(
        DeprecationWarning, match=r"Cast\.hear_each is deprecated; use Cast\.take_each"
    ):
        cast.hear_each(["Alice"], "surprise")
    assert alice.client.messages == []


def test_an_old_attribute_name_reads_and_sets_the_new_one_and_warns(cast: Cast) -> None:
    """``last_heard`` is ``last_taken``: read, set, or looked up on the class, it warns
    and stands for the new name, never a second attribute beside it."""
    [alice] = cast.connect(["Alice"])
    with pytest.warns(DeprecationWarning, match=r"use Participant\.last_taken"):
        alice.last_heard = None
    assert alice.last_taken is None and "last_heard" not in vars(alice)
    alice.send("go")
    record = alice.take("surprise")
    with pytest.warns(DeprecationWarning, match=r"use Participant\.last_taken"):
        assert alice.last_heard is record
    with pytest.warns(DeprecationWarning, match=r"use Participant\.take"):
        assert Participant.hear is Participant.take
    assert isinstance(vars(Participant)["last_heard"], Renamed)


def test_send_at_once_by_name_notes_when_each_person_sent(cast: Cast) -> None:
    """Each named person sends in one turn of the loop, and the cast knows they sent
    (so the late window counts from then)."""
    alice, bob = cast.connect(["Alice", "Bob"])
    before = time.monotonic()
    cast.send_at_once([("Alice", "go"), ("Bob", "go")])
    cast.take_each(["Alice", "Bob"], "surprise")
    assert alice.last_sent_at >= before and bob.last_sent_at >= before


def test_a_close_expected_is_no_failure_and_one_not_expected_is(cast: Cast) -> None:
    """A connection closed while nobody expected it fails the next check; after
    expect_closing() it does not."""
    alice, bob = cast.connect(["Alice", "Bob"])
    alice.client.close()
    with pytest.raises(ConnectionLost, match="no step expected it"):
        alice.round_trip()
    bob.expect_closing()
    bob.client.close()
    bob.round_trip()
