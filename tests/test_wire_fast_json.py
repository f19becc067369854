"""orjson, when installed, never changes what a frame means or which error it gets."""

import importlib.util
import json

import pytest

from server.chat import Command
from server.wire import BadMessage, parse_command
from tests.support import run_python

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("orjson") is None,
    reason="orjson is not installed: there is no second decoder to compare",
)

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

WITHOUT_ORJSON = """
import json, sys
sys.modules["orjson"] = None  # import orjson now fails, as if it were not installed
from tests.test_wire_fast_json import FRAMES, outcome
json.dump([repr(outcome(frame)) for frame in FRAMES], sys.stdout)
"""


def outcome(frame: str) -> Command | str:
    try:
        return parse_command(frame)
    except BadMessage as bad:
        return f"BadMessage: {bad.reason}"


@pytest.fixture(scope="module")
def outcomes_without_orjson() -> list[str]:
    """What each frame gives in a process where orjson cannot be imported."""
    result = run_python("-c", WITHOUT_ORJSON)
    assert result.returncode == 0, result.stderr
    outcomes: list[str] = json.loads(result.stdout)
    return outcomes


@pytest.mark.parametrize("index", range(len(FRAMES)))
def test_same_outcome_with_and_without_orjson(
    index: int, outcomes_without_orjson: list[str]
) -> None:
    """Each frame gives the same command, or the same error text, either way."""
    assert repr(outcome(FRAMES[index])) == outcomes_without_orjson[index]
