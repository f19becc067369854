"""Parameter types for step patterns, and help for steps that match nothing.

``{name:Name}`` is a capitalised word ("Alice"), ``{names:Names}`` a list that reads as
English ("Alice, Bob and Carol"); lower-case words such as "everyone" never match, which
keeps the phrasings of different steps apart. :func:`explain_undefined` says why a step
matches no definition: a name not capitalised, or a defined step worded almost alike.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from typing import Any

from behave import register_type

NAME_PATTERN = r"[A-Z][A-Za-z'-]*"
NAMES_PATTERN = rf"{NAME_PATTERN}(?:(?:, | and ){NAME_PATTERN})*"


def parse_name(text: str) -> str:
    return text


def parse_names(text: str) -> list[str]:
    return re.split(r", | and ", text)


parse_name.pattern = NAME_PATTERN  # type: ignore[attr-defined]
parse_names.pattern = NAMES_PATTERN  # type: ignore[attr-defined]

register_type(Name=parse_name, Names=parse_names)

ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4}


def server_number(word: str) -> int:
    """Which of the suite's servers a step names, from 0: "first" is 0."""
    if word not in ORDINALS:
        raise AssertionError(f"say which server as {', '.join(ORDINALS)}, not {word!r}")
    return ORDINALS[word]


_QUOTED = re.compile(r'"[^"]*"')
_PLACEHOLDER = re.compile(r"\{[^}]*\}")
SIMILAR_ENOUGH = 0.75
"""How alike (0 to 1) a step's words and a definition's must be to be suggested."""


def explain_undefined(registry: Any, steps: Iterable[Any]) -> Iterator[str]:
    """One line for each step that matches no definition, saying what is wrong."""
    for step in steps:
        if registry.find_match(step) is None:
            yield f'{step.location}: no step matches "{step.name}": {_hint(registry, step)}'


def _hint(registry: Any, step: Any) -> str:
    capitalised = step.name[:1].upper() + step.name[1:]
    if capitalised != step.name and _matches(registry, step, capitalised):
        return f'names start with a capital letter, as in "{capitalised}"'
    patterns = {
        definition.pattern for definitions in registry.steps.values() for definition in definitions
    }
    shapes = {_shape(pattern, placeholders=True): pattern for pattern in patterns}
    close = difflib.get_close_matches(
        _shape(step.name, placeholders=False), list(shapes), n=1, cutoff=SIMILAR_ENOUGH
    )
    if close:
        return f'did you mean a step like "{shapes[close[0]]}"?'
    return "no defined step is worded like it (behave --steps-catalog lists them all)"


def _matches(registry: Any, step: Any, text: str) -> bool:
    original = step.name
    try:
        step.name = text
        return registry.find_match(step) is not None
    finally:
        step.name = original


def _shape(text: str, *, placeholders: bool) -> str:
    """The words that must match, with names, quoted values and placeholders folded."""
    folded = _PLACEHOLDER.sub("_", text) if placeholders else _QUOTED.sub("_", text)
    folded = re.sub(rf"\b{NAME_PATTERN}\b", "_", folded.replace('"_"', "_"))
    return folded.lower()
