"""PyHamcrest matchers for WebSocket messages, so a test states what matters in a JSON
message and ignores the rest: ``json_containing({"type": "CHAT"})``.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

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
        return document is not _NOT_JSON and _first_difference(document, self.expected) is None

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
        found = _first_difference(document, self.expected)
        return "it matches" if found is None else found.describe()

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


class _Difference(NamedTuple):
    """Where a document first differs from what is expected, put into words only by
    :meth:`describe`, so a wait that tries many messages pays nothing for it."""

    path: list[str]  # the keys leading to it, innermost first
    actual: Any
    expected: Any
    # The expected key the object at ``path`` lacks, if that is the difference.
    missing: str | None = None

    def describe(self) -> str:
        path = self.path[::-1]
        where = f"`{'.'.join(path)}`" if path else "the message"
        if self.missing is not None:
            return f"{where} has no `{self.missing}`" if path else f"it has no `{self.missing}`"
        if isinstance(self.expected, dict):
            return f"{where} is {json.dumps(self.actual)}, not an object"
        return f"{where} is {json.dumps(self.actual)}, not {json.dumps(self.expected)}"


def _first_difference(actual: Any, expected: Any) -> _Difference | None:
    """Where ``actual`` first fails to contain ``expected`` (:func:`json_containing`), else None."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return _Difference([], actual, expected)
        for key, value in expected.items():
            if key not in actual:
                return _Difference([], actual, expected, missing=str(key))
            found = _first_difference(actual[key], value)
            if found is not None:
                found.path.append(str(key))
                return found
        return None
    if actual == expected and type(actual) is type(expected):
        return None
    return _Difference([], actual, expected)
