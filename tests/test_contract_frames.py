"""wsharness.contract reads an AsyncAPI 3 document once and tells, for any frame, which of
its messages the frame is, or why it is none, in the schema's words; nothing a frame holds
makes it raise. The chat's own contract, docs/asyncapi.yaml, is the example."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import PROJECT_ROOT
from wsharness.contract import coverage
from wsharness.contract.document import ContractError, load
from wsharness.contract.frames import Verdict, check

CHAT = load(PROJECT_ROOT / "docs" / "asyncapi.yaml")


def sent(data: str | bytes, *, text: bool = True) -> Verdict:
    return check(CHAT, "sent", data, text=text)


def received(data: str | bytes, *, text: bool = True) -> Verdict:
    return check(CHAT, "received", data, text=text)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"type": "ECHO", "value": "hi"}, "echo"),
        ({"type": "ECHO_TIMES_3", "value": "hi"}, "echoTimes3"),
        ({"type": "CREATE_GROUP", "value": "book club"}, "createGroup"),
        ({"type": "JOIN_GROUP", "value": "book club"}, "joinGroup"),
        ({"type": "LEAVE_GROUP"}, "leaveGroup"),
        ({"type": "LEAVE_GROUP", "value": [1]}, "leaveGroup"),
        (
            {"type": "MESSAGE_GROUP", "value": {"groupName": "g", "groupMessage": "hi"}},
            "messageGroup",
        ),
        ({"type": "ECHO", "value": "hi", "id": 7}, "echo"),
    ],
)
def test_every_request_of_the_protocol_is_its_message(request_: object, message: str) -> None:
    """Each request is the one message of its type, keys other than type and value ignored."""
    assert sent(json.dumps(request_)) == Verdict(matched=(message,))


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        (
            '{"type": "ECHO", "value": 3}',
            "not a valid ECHO (echo): at value: 3 is not of type 'string'",
        ),
        (
            '{"type": "MESSAGE_GROUP", "value": {"groupName": 5, "groupMessage": "hi"}}',
            "not a valid MESSAGE_GROUP (messageGroup): at value.groupName: 5 is not of type",
        ),
        ('{"type": "ECHO"}', "not a valid ECHO (echo): 'value' is a required property"),
        ('{"type": "SHOUT", "value": "hi"}', "none of the messages a client may send (ECHO, "),
        ("hello", "not JSON (Expecting value: line 1 column 1 (char 0))"),
    ],
)
def test_a_request_outside_the_contract_is_told_in_the_schemas_words(
    frame: str, problem: str
) -> None:
    """The field and the rule it breaks, from the candidate the frame came closest to."""
    verdict = sent(frame)
    assert verdict.matched == ()
    assert verdict.problem is not None and verdict.problem.startswith(problem), verdict.problem


@pytest.mark.parametrize(
    ("data", "text", "problem"),
    [
        ("[" * 100_000 + "]" * 100_000, True, "not JSON that can be read: it is nested too deeply"),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, True, "not JSON that can be read"),
        (b"\xff\xfe\x00", True, "a text frame that is not UTF-8 (invalid start byte at byte 0)"),
        (b'{"type": "ECHO", "value": "hi"}', False, "a binary frame, but every message"),
        ("x" * 2_000_000, True, "not JSON"),
    ],
)
def test_no_frame_makes_the_check_raise(data: str | bytes, text: bool, problem: str) -> None:
    """Deep nesting, bytes that are not UTF-8, binary, a huge frame: each is said as such."""
    verdict = sent(data, text=text)
    assert verdict.problem is not None and verdict.problem.startswith(problem), verdict.problem


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ("GROUP_CREATED: book club", ("groupCreated",)),
        ("ERROR: you are not in a group", ("notInAGroup",)),
        (
            "ERROR: too many requests: at most 5 per second; this one was not handled",
            ("tooManyRequests",),
        ),
        (
            "ERROR: group name contains an invisible or control character (U+200B ZERO WIDTH "
            "SPACE)",
            ("invisibleCharacter",),
        ),
        (
            "ERROR: group name contains an invisible or control character (U+0000)",
            ("invisibleCharacter",),
        ),
        ("anything at all", ("echoed", "groupMessage")),
    ],
)
def test_what_the_server_sends_is_the_most_specific_message_that_admits_it(
    reply: str, message: tuple[str, ...]
) -> None:
    """A reply of a fixed form is that reply; other text is an echo or a post, which the
    chat cannot tell apart without a correlation id."""
    assert received(reply) == Verdict(matched=message)


def test_a_binary_frame_from_the_server_is_outside_the_contract() -> None:
    """Everything the chat server sends is text."""
    assert received(b"GROUP_CREATED: x", text=False).problem == (
        "a binary frame, but every message a client may receive is text"
    )


def test_a_document_that_is_not_asyncapi_3_is_refused_in_one_line(tmp_path: Path) -> None:
    """Not YAML, not AsyncAPI 3, a reference to nowhere: one line each, naming the file."""
    cases = {
        "a.yaml": ("asyncapi: [", "is not YAML"),
        "b.yaml": ("openapi: 3.1.0\n", "is not an AsyncAPI 3 document"),
        "c.yaml": (
            "asyncapi: 3.0.0\nchannels:\n  c:\n    messages:\n      m: {$ref: '#/nowhere'}\n",
            "points nowhere",
        ),
    }
    for name, (text, problem) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(ContractError, match=problem):
            load(tmp_path / name)


def test_runs_coverage_adds_up_and_fails_on_a_message_no_run_exercised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two runs together: a message either exercised counts; one that neither did fails."""
    first, second = coverage.Coverage(CHAT), coverage.Coverage(CHAT)
    first.count("sent", sent('{"type": "ECHO", "value": "hi"}'))
    second.count("received", received("ERROR: you are not in a group"))
    paths = []
    for number, run in enumerate((first, second)):
        paths.append(tmp_path / f"{number}.json")
        paths[-1].write_text(json.dumps(run.to_json()), encoding="utf-8")
    assert coverage.main([str(path) for path in paths]) == 1
    printed = capsys.readouterr().out
    assert "        1         0  echo: ECHO" in printed
    assert "        0         1  notInAGroup: ERROR: you are not in a group" in printed
    assert "    message tooManyRequests (" in printed
    assert "    message echo (" not in printed and "    message notInAGroup (" not in printed


def test_coverage_with_everything_exercised_passes(tmp_path: Path) -> None:
    """Every message and operation seen at least once: exit status 0."""
    run = coverage.Coverage(CHAT)
    for name in CHAT.messages:
        run.counts["sent" if name in CHAT.sent else "received"][name] += 1
    (tmp_path / "all.json").write_text(json.dumps(run.to_json()), encoding="utf-8")
    assert coverage.main([str(tmp_path / "all.json")]) == 0


AGREED: list[Any] = [
    {"type": "ECHO", "value": "hi"},
    {"type": "ECHO", "value": 3},
    {"type": "ECHO", "value": 10**100},
    {"type": "MESSAGE_GROUP", "value": {"groupName": "g", "groupMessage": "hi"}},
    {"type": "MESSAGE_GROUP", "value": {"groupName": 5}},
    {"type": "LEAVE_GROUP", "value": [1, {"a": None}]},
    {"type": "CREATE_GROUP", "value": "x" * 10_000},
    {"type": "JOIN_GROUP"},
    "GROUP_CREATED: book club",
    "ERROR: too many requests: at most 5 per second; this one was not handled",
    "ERROR: nothing",
    [1, 2],
    None,
]


def test_both_validators_of_every_message_agree_on_every_frame() -> None:
    """jsonschema-rs decides whether a frame matches (:meth:`Message.admits`) and
    jsonschema explains why not: they must read every schema of the contract alike."""
    compiled = [m for m in CHAT.messages.values() if m.validator is not None]
    assert compiled and all(m.quick is not None for m in compiled)
    for message in compiled:
        assert message.quick is not None and message.validator is not None
        for instance in AGREED:
            fast, slow = message.quick.is_valid(instance), message.validator.is_valid(instance)
            assert fast == slow, f"{message.name} on {instance!r}: {fast} against {slow}"
