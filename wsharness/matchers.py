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


class JsonContaining(BaseMatcher[Any]):
    """What :func:`json_containing` returns."""

    def __init__(self, expected: Any) -> None:
        self.expected = expected

    @property
    def text(self) -> str:
        """The expected JSON, as a feature would write it."""
        return json.dumps(self.expected, ensure_ascii=False)

    def _matches(self, item: Any) -> bool:
        document = _decode(item)
        return document is not _NOT_JSON and _contains(document, self.expected)

    def describe_to(self, description: Description) -> None:
        description.append_text("a JSON text containing ").append_text(
            json.dumps(self.expected, sort_keys=True)
        )

    def difference(self, item: Any) -> str:
        """Where ``item`` first differs from what is expected, in words."""
        if isinstance(item, bytes):
            return "it is a binary message"
        document = _decode(item)
        if document is _NOT_JSON:
            return "it is not JSON"
        return _first_difference(document, self.expected, path=[]) or "it matches"

    def describe_mismatch(self, item: Any, mismatch_description: Description) -> None:
        if isinstance(item, bytes):
            mismatch_description.append_text("was a binary message")
        elif _decode(item) is _NOT_JSON:
            mismatch_description.append_text("was not JSON: ").append_description_of(item)
        else:
            mismatch_description.append_text("was ").append_text(item)


def json_containing(expected: Any) -> JsonContaining:
    """A text message whose JSON contains ``expected``: objects may have more keys,
    everything else (lists, strings, numbers) must be equal."""
    return JsonContaining(expected)


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


def _first_difference(actual: Any, expected: Any, path: list[str]) -> str | None:
    where = f"`{'.'.join(path)}`" if path else "the message"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where} is {json.dumps(actual)}, not an object"
        for key, value in expected.items():
            if key not in actual:
                return f"{where} has no `{key}`" if path else f"it has no `{key}`"
            found = _first_difference(actual[key], value, [*path, str(key)])
            if found is not None:
                return found
        return None
    if actual == expected and type(actual) is type(expected):
        return None
    return f"{where} is {json.dumps(actual)}, not {json.dumps(expected)}"
