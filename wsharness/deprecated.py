"""Old names of renamed methods and attributes, kept so code written against them runs.

Using one warns with :class:`DeprecationWarning`, naming the new name.
"""

from __future__ import annotations

import warnings
from typing import Any


class Renamed:
    """A class attribute that stands for ``new``: warns, then reads or sets ``new``."""

    def __init__(self, new: str) -> None:
        self.new = new
        self.old = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.old = f"{owner.__name__}.{name}"

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:  # on the class: the new method, or this for an attribute
            if owner is not None and hasattr(owner, self.new):
                self._warn()
                return getattr(owner, self.new)
            return self
        self._warn()
        return getattr(instance, self.new)

    def __set__(self, instance: object, value: Any) -> None:
        self._warn()
        setattr(instance, self.new, value)

    def _warn(self) -> None:
        new = f"{self.old.rpartition('.')[0]}.{self.new}"
        warnings.warn(f"{self.old} is deprecated; use {new}", DeprecationWarning, stacklevel=3)
