"""One frame against a contract: the messages it is, or why it is none of them.

Nothing a frame holds makes the check raise: what cannot be read is said as such. A frame
that fits no message is told by the candidate it came closest to, in the schema's words,
with the field's place (``at value.groupName: 5 is not of type 'string'``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Hashable, Mapping
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
    """The frame's correlation id as JSON (``"r1"``), where its message declares one."""


def check(contract: Contract, direction: Direction, data: str | bytes, *, text: bool) -> Verdict:
    """Which of ``contract``'s messages for ``direction`` the frame is (``text``: sent as text,
    maybe bytes not UTF-8). Short frames are remembered: a post to a thousand is checked once."""
    if len(data) <= _REMEMBERED_SIZE:
        return _remembered(contract, direction, data, text)
    return _verdict(contract, direction, data, text)


@functools.lru_cache(maxsize=4096)
def _remembered(contract: Contract, direction: Direction, data: str | bytes, text: bool) -> Verdict:
    return _verdict(contract, direction, data, text)


def _verdict(contract: Contract, direction: Direction, data: str | bytes, text: bool) -> Verdict:
    candidates = _candidates(contract, direction)
    if not candidates.binary and not candidates.textual:
        return Verdict(problem=f"the contract has no message a client may {_verb(direction)}")
    if not text:
        if candidates.binary:
            return Verdict(matched=tuple(m.name for m in candidates.binary))
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
    if not candidates.textual:
        return Verdict(
            problem=f"a text frame, but every message a client may {_verb(direction)} is binary"
        )
    try:
        return _check_text(candidates, direction, data)
    except RecursionError:
        return Verdict(problem="the frame is nested too deeply to be checked")


@dataclass(frozen=True)
class _Candidates:
    """The messages of one direction, specific ones first (the first that admits a frame is
    it), their sieves indexed so a frame is validated only against those it can be."""

    binary: tuple[Message, ...]
    textual: tuple[Message, ...]
    any_json: bool
    unsieved: frozenset[str]
    """Messages a frame is always tried against."""
    by_first: Mapping[str, tuple[tuple[str, str], ...]]
    """Text messages with a fixed start, by its first character: (start, name)."""
    by_field: Mapping[str, Mapping[Any, frozenset[str]]]
    """JSON messages with a required fixed property: field, value, names."""
    keyed: frozenset[str]
    """The names in ``by_field``, which a JSON document that is not an object may be."""
    any_text: Verdict | None = None
    """The verdict on every text frame no index picks out, where each admits any text."""

    def picked_out(self, data: str) -> bool:
        """Whether a text message's fixed start (its index) may fit the frame."""
        return any(data.startswith(start) for start, _ in self.by_first.get(data[:1], ()))

    def plausible(self, data: str, document: Any) -> frozenset[str] | set[str]:
        """The names of the messages the frame may be: those no sieve rules out."""
        if not self.by_first and not self.by_field:
            return self.unsieved
        names = set(self.unsieved)
        for start, name in self.by_first.get(data[:1], ()):
            if data.startswith(start):
                names.add(name)
        if isinstance(document, dict):
            for key, table in self.by_field.items():
                value = document.get(key, _ABSENT)
                if isinstance(value, Hashable):
                    names.update(table.get(value, ()))
        else:
            names.update(self.keyed)
        return names


_ABSENT = object()


@functools.lru_cache(maxsize=64)
def _candidates(contract: Contract, direction: Direction) -> _Candidates:
    messages = [contract.messages[name] for name in getattr(contract, direction)]
    textual = tuple(
        sorted((m for m in messages if m.carrier != "binary"), key=lambda m: m.catch_all)
    )
    unsieved: set[str] = set()
    by_first: dict[str, list[tuple[str, str]]] = {}
    by_field: dict[str, dict[Any, set[str]]] = {}
    for message in textual:
        # Indexed by a text message's fixed start, else by a JSON message's first fixed field.
        key, value = next(iter(message.fixed.items()), (None, None))
        if message.prefix:
            by_first.setdefault(message.prefix[0], []).append((message.prefix, message.name))
        elif (
            key is not None
            and isinstance(value, Hashable)
            and not isinstance(value, bool | int | float)
        ):
            by_field.setdefault(key, {}).setdefault(value, set()).add(message.name)
        else:
            unsieved.add(message.name)  # the schema decides: no index of its own
    anything = [m for m in textual if m.name in unsieved]
    any_text = (
        Verdict(matched=tuple(m.name for m in anything))
        if anything
        and not by_field
        and all(m.carrier == "text" and m.catch_all and m.validator is None for m in anything)
        and all(m.correlation is None for m in anything)
        else None
    )
    return _Candidates(
        any_text=any_text,
        binary=tuple(m for m in messages if m.carrier == "binary"),
        textual=textual,
        any_json=any(m.carrier == "json" for m in textual),
        unsieved=frozenset(unsieved),
        by_first={first: tuple(starts) for first, starts in by_first.items()},
        by_field={
            key: {value: frozenset(names) for value, names in table.items()}
            for key, table in by_field.items()
        },
        keyed=frozenset(
            name for table in by_field.values() for names in table.values() for name in names
        ),
    )


def _check_text(candidates: _Candidates, direction: Direction, data: str) -> Verdict:
    if candidates.any_text is not None and not candidates.picked_out(data):
        return candidates.any_text
    matched: list[Message] = []
    document, unreadable = _parsed(data) if candidates.any_json else (None, None)
    plausible = candidates.plausible(data, document)
    for message in candidates.textual:
        if message.name not in plausible or (message.carrier == "json" and unreadable):
            continue
        instance = document if message.carrier == "json" else data
        if message.admits(instance):
            if not message.catch_all:
                return Verdict(matched=(message.name,), correlation=_correlation(message, instance))
            matched.append(message)
    if matched:
        ids = (_correlation(m, document if m.carrier == "json" else data) for m in matched)
        return Verdict(
            matched=tuple(m.name for m in matched), correlation=next(filter(None, ids), None)
        )
    failures = [
        (m, _errors(m, document if m.carrier == "json" else data))
        for m in candidates.textual
        if m.validator is not None and not (m.carrier == "json" and unreadable)
    ]
    failures = [(m, errors) for m, errors in failures if errors]
    if not failures:
        return Verdict(
            problem=f"{unreadable}, and every message a client may {_verb(direction)} is JSON"
        )
    json_frame = candidates.any_json and unreadable is None
    return Verdict(problem=_closest(failures, direction, json_frame=json_frame))


def _errors(message: Message, instance: Any) -> list[ValidationError]:
    """Why ``instance`` is not ``message``: in jsonschema's words, else (a pattern it reads as
    Python's ``re``) in those of jsonschema-rs, which refused it."""
    errors = [] if message.validator is None else list(message.validator.iter_errors(instance))
    if errors or message.quick is None:
        return errors
    return [
        ValidationError(
            error.message,
            validator=str(error.schema_path[-1]) if error.schema_path else "",
            path=error.instance_path,
            schema_path=error.schema_path,
        )
        for error in message.quick.iter_errors(instance)
    ]


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


def _closest(
    failures: list[tuple[Message, list[ValidationError]]], direction: Direction, *, json_frame: bool
) -> str:
    """The mismatch with the closest candidate: of the frame's own carrier, then matching
    its fixed fields, then breaking the fewest rules."""

    def distance(failure: tuple[Message, list[ValidationError]]) -> tuple[int, int, int]:
        message, errors = failure
        other_carrier = (message.carrier == "json") != json_frame
        return other_carrier, sum(e.validator in _FIXED for e in errors), len(errors)

    message, errors = min(failures, key=distance)
    error = best_match(errors)
    path = ".".join(str(part) for part in error.absolute_path)
    said = error.message if len(error.message) <= _SHOWN else error.message[: _SHOWN - 3] + "..."
    reason = f"at {path}: {said}" if path else said
    if distance((message, errors))[1] == 0:
        return f"not a valid {message.label}: {reason}"
    kinds = ", ".join(m.title for m, _ in failures)
    return (
        f"none of the messages a client may {_verb(direction)} ({kinds}); "
        f"closest, {message.label}: {reason}"
    )


def _verb(direction: Direction) -> str:
    return "send" if direction == "sent" else "receive"
