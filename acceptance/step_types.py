"""Parameter types for step patterns: ``{name:Name}`` and ``{names:Names}``.

A name is a capitalised word ("Alice"); a list of names reads as English
("Alice, Bob and Carol"). Lower-case words such as "everyone" never match,
which keeps the phrasings of different steps apart.
"""

from __future__ import annotations

import re

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

__all__ = ["parse_name", "parse_names"]
