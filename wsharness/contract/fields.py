"""A field's value as a step writes it (text), read as the JSON type the contract
declares for the field: what a step named after a message sends and compares."""

from __future__ import annotations

import re
from typing import Any

_INTEGER = re.compile(r"-?(?:0|[1-9]\d*)", re.ASCII)
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?", re.ASCII)
_WORDS: dict[str, tuple[str, Any]] = {
    "true": ("boolean", True),
    "false": ("boolean", False),
    "null": ("null", None),
}


def typed(text: str, types: tuple[str, ...]) -> Any:
    """``text`` as the first of ``types`` (a field's JSON types) it can be written as:
    ``"2"`` an integer 2 where the field is an integer, ``"true"`` a boolean. Text where
    the field may be a string, or is none of them: the contract check then names it."""
    if "string" in types or not types:
        return text
    if "integer" in types and _INTEGER.fullmatch(text):
        return int(text)
    if "number" in types and _NUMBER.fullmatch(text):
        return int(text) if _INTEGER.fullmatch(text) else float(text)
    word = _WORDS.get(text)
    if word is not None and word[0] in types:
        return word[1]
    return text
