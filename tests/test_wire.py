"""Parsing frames into commands: every bad input gets a specific reason."""

from __future__ import annotations

import json
import unicodedata

import pytest

from server.chat import (
    CreateGroup,
    Echo,
    EchoTimes3,
    GroupName,
    JoinGroup,
    LeaveGroup,
    MessageGroup,
)
from server.wire import BadMessage, group_name, parse_command


@pytest.mark.parametrize(
    ("document", "command"),
    [
        ({"type": "ECHO", "value": "hi"}, Echo("hi")),
        ({"type": "ECHO", "value": ""}, Echo("")),
        ({"type": "ECHO_TIMES_3", "value": "hi"}, EchoTimes3("hi")),
        ({"type": "CREATE_GROUP", "value": "book club"}, CreateGroup(GroupName.of("book club"))),
        ({"type": "JOIN_GROUP", "value": "book club"}, JoinGroup(GroupName.of("book club"))),
        ({"type": "LEAVE_GROUP"}, LeaveGroup()),
        ({"type": "LEAVE_GROUP", "value": None}, LeaveGroup()),
        (
            {"type": "MESSAGE_GROUP", "value": {"groupName": "g", "groupMessage": "m"}},
            MessageGroup(GroupName.of("g"), "m"),
        ),
        ({"type": "ECHO", "value": "x", "extra": 1}, Echo("x")),
    ],
)
def test_well_formed_requests_become_commands(document: object, command: object) -> None:
    """The article's requests parse to their commands; unknown extra keys are ignored."""
    assert parse_command(json.dumps(document)) == command


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("", "message is empty; send a JSON object"),
        ("   ", "message is empty; send a JSON object"),
        ("hello", "message is not valid JSON (Expecting value: line 1 column 1 (char 0))"),
        (
            "[1, 2]",
            'message must be a JSON object like {"type": "ECHO", "value": "hi"}, not a list',
        ),
        (
            '"ECHO"',
            'message must be a JSON object like {"type": "ECHO", "value": "hi"}, not a string',
        ),
        ("null", 'message must be a JSON object like {"type": "ECHO", "value": "hi"}, not null'),
        ('{"value": "x"}', 'message has no "type"'),
        ('{"type": 7}', '"type" must be a string, not a number'),
        ('{"type": null}', '"type" must be a string, not null'),
        (
            '{"type": "SHOUT", "value": "x"}',
            "unknown type 'SHOUT'; known types: ECHO, ECHO_TIMES_3, CREATE_GROUP, "
            "JOIN_GROUP, LEAVE_GROUP, MESSAGE_GROUP",
        ),
        ('{"type": "ECHO"}', 'ECHO needs a "value"'),
        ('{"type": "ECHO", "value": 3}', 'ECHO "value" must be a string, not a number'),
        (
            '{"type": "ECHO_TIMES_3", "value": [1]}',
            'ECHO_TIMES_3 "value" must be a string, not a list',
        ),
        (
            '{"type": "CREATE_GROUP", "value": {}}',
            'CREATE_GROUP "value" must be a string, not an object',
        ),
        ('{"type": "JOIN_GROUP", "value": null}', 'JOIN_GROUP "value" must be a string, not null'),
        (
            '{"type": "JOIN_GROUP", "value": true}',
            'JOIN_GROUP "value" must be a string, not true/false',
        ),
        ('{"type": "CREATE_GROUP", "value": ""}', "group name must not be blank"),
        ('{"type": "CREATE_GROUP", "value": " \\t "}', "group name must not be blank"),
        (
            '{"type": "MESSAGE_GROUP", "value": "hi"}',
            'MESSAGE_GROUP "value" must be an object with "groupName" and "groupMessage", '
            "not a string",
        ),
        (
            '{"type": "MESSAGE_GROUP", "value": {"groupName": "g"}}',
            'MESSAGE_GROUP "value" has no "groupMessage"',
        ),
        (
            '{"type": "MESSAGE_GROUP", "value": {"groupMessage": "m"}}',
            'MESSAGE_GROUP "value" has no "groupName"',
        ),
        (
            '{"type": "MESSAGE_GROUP", "value": {"groupName": 1, "groupMessage": "m"}}',
            'MESSAGE_GROUP "groupName" must be a string, not a number',
        ),
        (
            '{"type": "MESSAGE_GROUP", "value": {"groupName": "g", "groupMessage": null}}',
            'MESSAGE_GROUP "groupMessage" must be a string, not null',
        ),
        (b'{"type": "ECHO", "value": "hi"}', "binary frames are not supported; send JSON as text"),
    ],
)
def test_bad_frames_get_a_specific_reason(frame: str | bytes, reason: str) -> None:
    """Each class of bad input names what is wrong with it."""
    with pytest.raises(BadMessage) as bad:
        parse_command(frame)
    assert bad.value.reason == reason


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (
            '{"type": "ECHO", "value": "a\\ud800"}',
            "ECHO \"value\" contains an unpaired surrogate ('\\ud800'), which is not valid Unicode",
        ),
        (
            '{"type": "CREATE_GROUP", "value": "\\udc80"}',
            "CREATE_GROUP \"value\" contains an unpaired surrogate ('\\udc80'), "
            "which is not valid Unicode",
        ),
        (
            '{"type": "MESSAGE_GROUP", "value": {"groupName": "g", "groupMessage": "\\udfff"}}',
            "MESSAGE_GROUP \"groupMessage\" contains an unpaired surrogate ('\\udfff'), "
            "which is not valid Unicode",
        ),
    ],
)
def test_lone_surrogates_spelled_in_json_are_refused(frame: str, reason: str) -> None:
    """JSON escapes can spell text that no frame can carry; it is refused up front."""
    with pytest.raises(BadMessage) as bad:
        parse_command(frame)
    assert bad.value.reason == reason


def test_a_surrogate_pair_is_ordinary_text() -> None:
    """An escaped pair is one character outside the BMP, and fine."""
    assert parse_command('{"type": "ECHO", "value": "\\ud83d\\udc4b"}') == Echo("👋")


def test_pathologically_nested_json_is_refused_not_crashed_on() -> None:
    """100,000 levels of nesting make json raise RecursionError; that is a bad message."""
    with pytest.raises(BadMessage, match="nested too deeply"):
        parse_command("[" * 100_000 + "]" * 100_000)
    with pytest.raises(BadMessage, match="nested too deeply"):
        parse_command('{"a":' * 100_000 + "1" + "}" * 100_000)


def test_group_names_longer_than_the_limit_are_refused() -> None:
    """The limit is inclusive and configurable."""
    assert parse_command(json.dumps({"type": "JOIN_GROUP", "value": "x" * 10}), max_group_name=10)
    with pytest.raises(BadMessage, match="group name is longer than 10 characters"):
        parse_command(json.dumps({"type": "JOIN_GROUP", "value": "x" * 11}), max_group_name=10)


def test_a_huge_unknown_type_is_quoted_short() -> None:
    """A client cannot make the server echo megabytes back inside an error."""
    with pytest.raises(BadMessage) as bad:
        parse_command(json.dumps({"type": "X" * 100_000, "value": "v"}))
    assert len(bad.value.reason) < 200


def _refusal(document: object) -> str:
    with pytest.raises(BadMessage) as bad:
        parse_command(json.dumps(document))
    return bad.value.reason


INVISIBLE = "group name contains an invisible or control character"


@pytest.mark.parametrize(
    ("name", "character"),
    [
        ("book\u200bclub", "U+200B ZERO WIDTH SPACE"),
        ("book\x00club", "U+0000"),
        ("book\nclub", "U+000A"),
        ("book\tclub", "U+0009"),
        ("\u202ebulc koob", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\ufeffbook club", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("book\u00adclub", "U+00AD SOFT HYPHEN"),
        ("book\u2028club", "U+2028 LINE SEPARATOR"),
        ("book\u2029club", "U+2029 PARAGRAPH SEPARATOR"),
        ("book club\U000e0001", "U+E0001 LANGUAGE TAG"),
        ("a\u200db\x00", "U+200D ZERO WIDTH JOINER"),  # the first one is named
    ],
)
def test_a_group_name_with_an_invisible_or_control_character_is_refused(
    name: str, character: str
) -> None:
    """Whichever request carries the name, the reason names the character by code point."""
    expected = f"{INVISIBLE} ({character})"
    assert _refusal({"type": "CREATE_GROUP", "value": name}) == expected
    assert _refusal({"type": "JOIN_GROUP", "value": name}) == expected
    post = {"type": "MESSAGE_GROUP", "value": {"groupName": name, "groupMessage": "hi"}}
    assert _refusal(post) == expected


@pytest.mark.parametrize(
    "name", ["café", "book\u00a0club", "日本語", "👋 club", "x" * 100, "\U000f0000 private"]
)
def test_visible_names_are_accepted_and_keyed_by_their_nfc_form(name: str) -> None:
    """Letters, accents, symbols, a no-break space and private-use characters are fine."""
    command = parse_command(json.dumps({"type": "CREATE_GROUP", "value": name}))
    assert isinstance(command, CreateGroup)
    assert command.name == GroupName(name, unicodedata.normalize("NFC", name))


def test_a_name_is_checked_for_blankness_then_length_then_characters() -> None:
    """A newline alone is blank; 101 control characters are too long; 100 are refused
    for the first of them."""
    assert _refusal({"type": "CREATE_GROUP", "value": "\n"}) == "group name must not be blank"
    too_long = {"type": "CREATE_GROUP", "value": "\x00" * 101}
    assert _refusal(too_long) == "group name is longer than 100 characters"
    assert _refusal({"type": "CREATE_GROUP", "value": "\x00" * 100}) == f"{INVISIBLE} (U+0000)"


def test_a_post_s_group_name_is_checked_whole_however_long() -> None:
    """MESSAGE_GROUP's groupName has no length limit: the check reaches its end."""
    name = "\u00a0" * 500_000 + "\u200b"
    post = {"type": "MESSAGE_GROUP", "value": {"groupName": name, "groupMessage": "hi"}}
    assert _refusal(post) == f"{INVISIBLE} (U+200B ZERO WIDTH SPACE)"


def test_a_command_carries_the_name_as_written_and_its_nfc_key() -> None:
    """Two spellings of "café" (one character "é", or "e" and a combining accent)
    parse to one key and keep their own spelling."""
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    create = parse_command(json.dumps({"type": "CREATE_GROUP", "value": composed}))
    join = parse_command(json.dumps({"type": "JOIN_GROUP", "value": decomposed}))
    post = parse_command(
        json.dumps(
            {"type": "MESSAGE_GROUP", "value": {"groupName": decomposed, "groupMessage": "m"}}
        )
    )
    assert isinstance(create, CreateGroup) and isinstance(join, JoinGroup)
    assert isinstance(post, MessageGroup)
    assert create.name == GroupName(composed, composed)
    assert join.name == GroupName(decomposed, composed)
    assert post.name == GroupName(decomposed, composed)


def test_exactly_the_characters_of_the_refused_categories_are_refused() -> None:
    """Every code point, one by one: refused if and only if its Unicode category is
    Cc, Cf, Zl, Zp or Cs, by this Python's Unicode database."""
    wrong = []
    for point in range(0x110000):
        character = chr(point)
        refused = unicodedata.category(character) in {"Cc", "Cf", "Zl", "Zp", "Cs"}
        try:
            group_name(f"a{character}")
        except BadMessage:
            if not refused:
                wrong.append(f"U+{point:04X} refused")
        else:
            if refused:
                wrong.append(f"U+{point:04X} accepted")
    assert not wrong, wrong[:10]
