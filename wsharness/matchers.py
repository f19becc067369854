"""PyHamcrest matchers for WebSocket messages.

``json_containing({"type": "CHAT"})`` matches a text message whose JSON has at
least those keys with those values (recursively for nested objects), so a test
can state what matters and ignore the rest.
"""

from __future__ import annotations

import json
from typing import Any

from hamcrest.core.base_matcher import BaseMatcher
from hamcrest.core.description import Description


class _JsonContaining(BaseMatcher[Any]):
    def __init__(self, expected: Any) -> None:
        self.expected = expected

    def _matches(self, item: Any) -> bool:
        document = _decode(item)
        return document is not _NOT_JSON and _contains(document, self.expected)

    def describe_to(self, description: Description) -> None:
        description.append_text("a JSON text containing ").append_text(
            json.dumps(self.expected, sort_keys=True)
        )

    def describe_mismatch(self, item: Any, mismatch_description: Description) -> None:
        if isinstance(item, bytes):
            mismatch_description.append_text("was a binary message")
        elif _decode(item) is _NOT_JSON:
            mismatch_description.append_text("was not JSON: ").append_description_of(item)
        else:
            mismatch_description.append_text("was ").append_text(item)


def json_containing(expected: Any) -> _JsonContaining:
    """A text message whose JSON contains ``expected``: objects may have more keys,
    everything else (lists, strings, numbers) must be equal."""
    return _JsonContaining(expected)


_NOT_JSON = object()


def _decode(item: Any) -> Any:
    if not isinstance(item, str):
        return _NOT_JSON
    try:
        return json.loads(item)
    except (ValueError, RecursionError):
        return _NOT_JSON


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and _contains(actual[key], value) for key, value in expected.items()
        )
    return bool(actual == expected and type(actual) is type(expected))
