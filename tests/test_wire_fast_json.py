"""orjson, when installed, never changes what a frame means or which error it gets."""

import pytest

from server import wire
from server.commands import Command
from server.wire import BadMessage, parse_command

FRAMES = [
    '{"type": "ECHO", "value": "hi"}',
    '{"type": "ECHO", "value": 3}',
    '{"type": "ECHO"}',
    '{"type": "ECHO", "value": "\\ud800"}',
    '{"type": "ECHO", "value": NaN}',
    '{"type": "ECHO", "value": 123456789012345678901234567890}',
    '{"type": "ECHO_TIMES_3", "value": "Grüße 👋"}',
    '{"type": "CREATE_GROUP", "value": "book club"}',
    '{"type": "MESSAGE_GROUP", "value": {"groupName": "a", "groupMessage": "b"}}',
    '{"type": "ECHO", "type": "LEAVE_GROUP"}',
    "[1, 2",
    "NaN",
    '"just a string"',
    "   ",
    "[" * 5000 + "]" * 5000,
    "[" * 1010 + "]" * 1010,
    '{"a": ' * 1010 + "1" + "}" * 1010,
]


def outcome(frame: str) -> Command | str:
    try:
        return parse_command(frame)
    except BadMessage as bad:
        return f"BadMessage: {bad.reason}"


@pytest.mark.parametrize("frame", FRAMES, ids=range(len(FRAMES)))
def test_same_outcome_with_and_without_orjson(frame: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each frame gives the same command, or the same error text, either way."""
    with_fast = outcome(frame)
    monkeypatch.setattr(wire, "_fast_loads", None)
    assert outcome(frame) == with_fast
