"""One frame against a contract: the messages it is, or why it is none of them.

A frame is decoded as the messages of its direction say it is carried (JSON and text in
text frames, the rest in binary frames) and validated against each candidate's compiled
schema. What cannot be read (binary where text is due, bytes that are not UTF-8, JSON too
deeply nested to parse) is said as such; nothing a frame holds makes the check raise.
A frame that fits no message is told by the candidate it came closest to: the one whose
fixed fields (``const``, ``enum``: the ``type`` of a request) it matches, in the
schema's own words, with the place of the field (``at value.groupName: 5 is not of type
'string'``).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError, best_match

from wsharness.contract.document import Contract, Direction, Message

_FIXED = frozenset({"const", "enum"})
_SHOWN = 120
_REMEMBERED_SIZE = 1024


@dataclass(frozen=True)
class Verdict:
    """What one frame is: the names of the messages it matches, or why it matches none."""

    matched: tuple[str, ...] = ()
    problem: str | None = None
    correlation: str | None = None
    """The frame's correlation id, as JSON, where the message it is declares one
    (``"r1"`` for a ``ref`` of ``r1``)."""


def check(contract: Contract, direction: Direction, data: str | bytes, *, text: bool) -> Verdict:
    """Which of ``contract``'s messages for ``direction`` the frame is; ``text`` says
    whether it travelled in a text frame (``data`` may then be bytes that are not UTF-8).
    Short frames are remembered: a post that reaches a thousand members is checked once."""
    if len(data) <= _REMEMBERED_SIZE:
        return _remembered(contract, direction, data, text)
    return _verdict(contract, direction, data, text)


@functools.lru_cache(maxsize=4096)
def _remembered(contract: Contract, direction: Direction, data: str | bytes, text: bool) -> Verdict:
    return _verdict(contract, direction, data, text)


def _verdict(contract: Contract, direction: Direction, data: str | bytes, text: bool) -> Verdict:
    names = contract.sent if direction == "sent" else contract.received
    candidates = [contract.messages[name] for name in names]
    if not candidates:
        return Verdict(problem=f"the contract has no message a client may {_verb(direction)}")
    try:
        return _check(candidates, direction, data, text=text)
    except RecursionError:
        return Verdict(problem="the frame is nested too deeply to be checked")


def _check(
    candidates: list[Message], direction: Direction, data: str | bytes, *, text: bool
) -> Verdict:
    if not text:
        binary = [m for m in candidates if m.carrier == "binary"]
        if binary:
            return Verdict(matched=tuple(m.name for m in binary))
        return Verdict(
            problem=f"a binary frame, but every message a client may {_verb(direction)} is text"
        )
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Verdict(
                problem=f"a text frame that is not UTF-8 ({exc.reason} at byte {exc.start})"
            )
    textual = [m for m in candidates if m.carrier != "binary"]
    if not textual:
        return Verdict(
            problem=f"a text frame, but every message a client may {_verb(direction)} is binary"
        )
    return _check_text(textual, direction, data)


def _check_text(textual: list[Message], direction: Direction, data: str) -> Verdict:
    matched: list[Message] = []
    document, unreadable = (
        _parsed(data) if any(m.carrier == "json" for m in textual) else (None, None)
    )
    # Specific messages first, and the first that admits the frame is the one: the
    # messages of a protocol exclude one another but for the catch-alls (any text).
    failed: list[Message] = []
    for message in sorted(textual, key=lambda m: m.catch_all):
        if message.carrier == "json" and unreadable is not None:
            continue
        instance = document if message.carrier == "json" else data
        if message.sieve is not None and not message.sieve.admits(instance):
            failed.append(message)
        elif message.validator is None or message.validator.is_valid(instance):
            if not message.catch_all:
                return Verdict(matched=(message.name,), correlation=_correlation(message, instance))
            matched.append(message)
        else:
            failed.append(message)
    if matched:
        ids = (_correlation(m, document if m.carrier == "json" else data) for m in matched)
        return Verdict(
            matched=tuple(m.name for m in matched), correlation=next(filter(None, ids), None)
        )
    failures = [
        (m, list(m.validator.iter_errors(document if m.carrier == "json" else data)))
        for m in failed
        if m.validator is not None
    ]
    if not failures:
        return Verdict(
            problem=f"{unreadable}, and every message a client may {_verb(direction)} is JSON"
        )
    return Verdict(problem=_closest(failures, direction))


def _correlation(message: Message, instance: Any) -> str | None:
    """The value at the message's correlation pointer, as JSON; None if it has none."""
    if message.correlation is None:
        return None
    for part in message.correlation.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(instance, dict) and key in instance:
            instance = instance[key]
        elif isinstance(instance, list) and key.isdigit() and int(key) < len(instance):
            instance = instance[int(key)]
        else:
            return None
    return json.dumps(instance, ensure_ascii=False, sort_keys=True)


def _parsed(data: str) -> tuple[Any, str | None]:
    """The JSON document in ``data``, or why it cannot be read."""
    try:
        return json.loads(data), None
    except RecursionError:
        return None, "not JSON that can be read: it is nested too deeply"
    except ValueError as exc:
        return None, f"not JSON ({exc})"


def _closest(failures: list[tuple[Message, list[ValidationError]]], direction: Direction) -> str:
    """The mismatch with the candidate the frame came closest to, in the schema's words."""

    def distance(failure: tuple[Message, list[ValidationError]]) -> tuple[int, int]:
        errors = failure[1]
        return sum(e.validator in _FIXED for e in errors), len(errors)

    message, errors = min(failures, key=distance)
    error = best_match(errors)
    where = _where(error)
    reason = f"{where}{_shorten(error.message)}"
    if distance((message, errors))[0] == 0:
        return f"not a valid {message.label}: {reason}"
    kinds = ", ".join(m.title for m, _ in failures)
    return (
        f"none of the messages a client may {_verb(direction)} ({kinds}); "
        f"closest, {message.label}: {reason}"
    )


def _where(error: ValidationError) -> str:
    path = ".".join(str(part) for part in error.absolute_path)
    return f"at {path}: " if path else ""


def _shorten(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _verb(direction: Direction) -> str:
    return "send" if direction == "sent" else "receive"
