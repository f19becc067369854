"""Reading the article's wire format: ``{"type": T, "value": V}`` as JSON text.

:func:`parse_command` turns one frame into a :mod:`server.chat` command, or raises
:class:`BadMessage`, whose reason the client gets as ``ERROR: <reason>``; nothing a
client sends makes it raise anything else. orjson, when installed, only speeds this up:
what it refuses, and a frame with many brackets, go to :func:`json.loads`, so every frame
gets the same command or the same error either way. Every group name is checked and
keyed here once (:func:`group_name`).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from server.chat import (
    Command,
    CreateGroup,
    Echo,
    EchoTimes3,
    GroupName,
    JoinGroup,
    LeaveGroup,
    MessageGroup,
)

_fast_loads: Callable[[str], Any] | None = None
try:  # optional (requirements-fast.txt): the same documents, decoded about 6x faster
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    pass
else:
    _fast_loads = orjson.loads

_SHALLOW = 100
"""Fewer opening brackets than this cannot nest deep enough for json.loads to refuse."""

DEFAULT_MAX_GROUP_NAME = 100
"""Longest group name accepted, in characters."""

INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
"""Unicode categories no group name may contain: control and invisible formatting
characters (zero-width space, byte order mark...), line separators, and surrogates."""

KNOWN_TYPES = ("ECHO", "ECHO_TIMES_3", "CREATE_GROUP", "JOIN_GROUP", "LEAVE_GROUP", "MESSAGE_GROUP")


class BadMessage(ValueError):
    """A frame the server cannot act on; ``reason`` says why, for the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_command(frame: str | bytes, *, max_group_name: int = DEFAULT_MAX_GROUP_NAME) -> Command:
    """Parse one frame into a command, or raise :class:`BadMessage`."""
    if isinstance(frame, bytes):
        raise BadMessage("binary frames are not supported; send JSON as text")
    document = _decode_json(frame)
    # The most common request, well formed, without the checks below: the
    # benchmark's echo throughput counts every microsecond spent here.
    if type(document) is dict and document.get("type") == "ECHO" and "value" in document:
        return Echo(_string_value("ECHO", document["value"]))
    if not isinstance(document, dict):
        raise BadMessage(
            'message must be a JSON object like {"type": "ECHO", "value": "hi"}, '
            f"not {_json_kind(document)}"
        )
    kind = document.get("type")
    if "type" not in document:
        raise BadMessage('message has no "type"')
    if not isinstance(kind, str):
        raise BadMessage(f'"type" must be a string, not {_json_kind(kind)}')
    if kind == "LEAVE_GROUP":
        return LeaveGroup()
    if kind not in KNOWN_TYPES:
        raise BadMessage(f"unknown type {_shorten(kind)!r}; known types: {', '.join(KNOWN_TYPES)}")
    if "value" not in document:
        raise BadMessage(f'{kind} needs a "value"')
    value = document["value"]
    match kind:
        case "ECHO":
            return Echo(_string_value(kind, value))
        case "ECHO_TIMES_3":
            return EchoTimes3(_string_value(kind, value))
        case "CREATE_GROUP":
            return CreateGroup(_new_group_name(kind, value, max_group_name))
        case "JOIN_GROUP":
            return JoinGroup(_new_group_name(kind, value, max_group_name))
    return _message_group(value)


def _decode_json(frame: str) -> Any:
    if not frame.strip():
        raise BadMessage("message is empty; send a JSON object")
    if _fast_loads is not None and frame.count("[") + frame.count("{") < _SHALLOW:
        try:
            return _fast_loads(frame)
        except ValueError:
            pass  # let the standard library decide, and word the error, as without orjson
    try:
        return json.loads(frame)
    except RecursionError:
        raise BadMessage("message is nested too deeply") from None
    except ValueError as exc:
        raise BadMessage(f"message is not valid JSON ({exc})") from None


def _string_value(kind: str, value: Any, field: str = "value") -> str:
    if not isinstance(value, str):
        raise BadMessage(f'{kind} "{field}" must be a string, not {_json_kind(value)}')
    try:
        value.encode()
    except UnicodeEncodeError as exc:
        # JSON's \ud800-style escapes can spell a lone surrogate, which no text
        # frame can carry: refuse it here rather than fail when replying.
        raise BadMessage(
            f'{kind} "{field}" contains an unpaired surrogate '
            f"({value[exc.start]!r}), which is not valid Unicode"
        ) from None
    return value


def _new_group_name(kind: str, value: Any, max_length: int) -> GroupName:
    """The name of a group to create or join: not blank, not too long."""
    name = _string_value(kind, value)
    if not name.strip():
        raise BadMessage("group name must not be blank")
    if len(name) > max_length:
        raise BadMessage(f"group name is longer than {max_length} characters")
    return group_name(name)


def group_name(written: str) -> GroupName:
    """``written`` as a group name with its key, or :class:`BadMessage` if it holds
    an invisible or control character (the reason names the first one)."""
    # isprintable() is false for a name with a refused character (and for some
    # allowed ones, like a no-break space): nearly every name needs no closer look.
    if not written.isprintable():
        found = _invisible_characters().search(written)
        if found is not None:
            raise BadMessage(
                f"group name contains an invisible or control character ({_code_point(found[0])})"
            )
    return GroupName.of(written)


@functools.cache
def _invisible_characters() -> re.Pattern[str]:
    """One character class of every code point in :data:`INVISIBLE_CATEGORIES`, built
    when first needed: looking at every code point takes 0.1 s, which no start should pay."""
    every = map(chr, range(0x110000))
    invisible = "".join(c for c in every if unicodedata.category(c) in INVISIBLE_CATEGORIES)
    return re.compile(f"[{re.escape(invisible)}]")


def _code_point(character: str) -> str:
    """``U+200B ZERO WIDTH SPACE``; control characters have no name: ``U+0000``."""
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X} {name}".rstrip()


def _message_group(value: Any) -> MessageGroup:
    if not isinstance(value, dict):
        raise BadMessage(
            'MESSAGE_GROUP "value" must be an object with "groupName" and '
            f'"groupMessage", not {_json_kind(value)}'
        )
    for key in ("groupName", "groupMessage"):
        if key not in value:
            raise BadMessage(f'MESSAGE_GROUP "value" has no "{key}"')
        _string_value("MESSAGE_GROUP", value[key], key)
    return MessageGroup(group_name(value["groupName"]), value["groupMessage"])


def _shorten(text: str, limit: int = 40) -> str:
    """Client text quoted in a reply, cut so a huge value cannot bloat the reply."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_kind(value: Any) -> str:
    """How a JSON value's kind reads in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"
