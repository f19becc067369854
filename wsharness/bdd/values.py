"""Values a scenario notes from one message and uses in later steps.

"Alice notes the `id` of that message as order" keeps a field of Alice's last message;
a later step says ``{order}`` where it goes (``\\{order}`` stays as written). Only a
name in braces is replaced, so JSON, whose keys are quoted, passes through unchanged.
"""

from __future__ import annotations

import json
import re
from typing import Any

from wsharness.records import Data, describe_data

_PLACEHOLDER = re.compile(r"(\\?)\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Notebook:
    """The values noted in one scenario, by name."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def note(self, name: str, value: str) -> None:
        self._values[name] = value

    def fill(self, text: str) -> str:
        """``text`` with every ``{name}`` replaced by the value noted under it."""

        def value_of(match: re.Match[str]) -> str:
            escaped, name = match[1], match[2]
            if escaped:
                return match[0][1:]
            if name not in self._values:
                known = ", ".join(sorted(self._values)) or "none yet"
                raise AssertionError(
                    f"no value was noted as {{{name}}}; the names noted so far: {known}"
                )
            return self._values[name]

        return _PLACEHOLDER.sub(value_of, text)


def field_of(message: Data, path: str) -> str:
    """The value at ``path`` ("id", "order.id", "items.0.sku") in a JSON message,
    as text: strings as they are, anything else as JSON."""
    if not isinstance(message, str):
        raise AssertionError(f"cannot read `{path}` of {describe_data(message)}: it is binary")
    try:
        value: Any = json.loads(message)
    except ValueError:
        raise AssertionError(
            f"cannot read `{path}` of {describe_data(message)}: it is not JSON"
        ) from None
    walked = []
    for key in path.split("."):
        walked.append(key)
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            raise AssertionError(f"{describe_data(message)} has no `{'.'.join(walked)}`")
    return value if isinstance(value, str) else json.dumps(value)
