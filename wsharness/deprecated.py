"""Old names of renamed methods and attributes, kept so code written against them runs.

Using one warns with :class:`DeprecationWarning`, naming the new name.
"""

from __future__ import annotations

import warnings
from typing import Any


class Renamed:
    """A class attribute that stands for ``new``: warns, then gives what ``new`` gives."""

    def __init__(self, new: str) -> None:
        self.new = new
        self.old = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.old = f"{owner.__name__}.{name}"

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        new = f"{self.old.rpartition('.')[0]}.{self.new}"
        warnings.warn(f"{self.old} is deprecated; use {new}", DeprecationWarning, stacklevel=2)
        return getattr(owner if instance is None else instance, self.new)
