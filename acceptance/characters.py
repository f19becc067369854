"""Characters nobody can see, written by name in feature text.

In a group name, ``<zero-width space>`` stands for that one character. The name
is any Unicode name or alias of the character, in any case, with hyphens or
spaces between its words (``<null>``, ``<line feed>``, ``<right-to-left
override>``, ``<combining acute accent>``), or its code point (``<U+200B>``).
So ``"book<zero-width space>club"`` in a feature goes on the wire as
``"book\\u200bclub"``, and a reader sees what the scenario is about.
"""

from __future__ import annotations

import re
import unicodedata

_NAMED = re.compile(r"<([^<>]+)>")
_CODE_POINT = re.compile(r"U\+([0-9A-Fa-f]{4,6})")


def spell(text: str) -> str:
    """``text`` with each ``<character name>`` replaced by that character."""
    return _NAMED.sub(lambda named: character(named[1]), text)


def character(name: str) -> str:
    """The one character called ``name``; ValueError, saying how to write one, if none."""
    code_point = _CODE_POINT.fullmatch(name)
    if code_point is not None and int(code_point[1], 16) < 0x110000:
        return chr(int(code_point[1], 16))
    for spelling in (name, name.replace("-", " ")):
        try:
            return unicodedata.lookup(spelling)
        except KeyError:
            pass
    raise ValueError(
        f"no character is called <{name}>: write its Unicode name, such as "
        "<zero-width space>, or its code point, such as <U+200B>"
    )
