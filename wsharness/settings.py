"""How long the harness waits and how large a message it accepts.

Defaults come from the environment (``WS_TIMEOUT``, ``WS_QUIET_WINDOW``, ``WS_LATE_WINDOW``,
``WS_TIMEOUT_SCALE``, ``WS_MAX_MESSAGE_SIZE``: README's settings table), so CI scales every
wait without touching the tests; behave's ``-D`` options go through :func:`configure`. The
environment is read on first use, so a bad value is reported where it is used.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields, replace

ENVIRONMENT = {
    "timeout": "WS_TIMEOUT",
    "quiet_window": "WS_QUIET_WINDOW",
    "late_window": "WS_LATE_WINDOW",
    "scale": "WS_TIMEOUT_SCALE",
}


@dataclass(frozen=True)
class Timing:
    """Base durations in seconds and the factor that scales them."""

    timeout: float = 3.0
    quiet_window: float = 0.2
    late_window: float = 0.0
    scale: float = 1.0

    def __post_init__(self) -> None:
        for name in ("timeout", "quiet_window", "scale"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"{name} must be a positive number, not {value!r}")
        if not self.late_window >= 0:
            raise ValueError(f"late_window must be 0 or more seconds, not {self.late_window!r}")

    @property
    def wait(self) -> float:
        """How long a wait may take, scaled."""
        return self.timeout * self.scale

    @property
    def quiet(self) -> float:
        """How long to watch for a message that must not arrive, scaled."""
        return self.quiet_window * self.scale

    @property
    def late(self) -> float:
        """How long the steps watch for late messages after round trips, scaled."""
        return self.late_window * self.scale


def _from_environment() -> Timing:
    values = {}
    for field in fields(Timing):
        name = ENVIRONMENT[field.name]
        text = os.environ.get(name, "").strip()
        if text:
            try:
                values[field.name] = float(text)
            except ValueError:
                raise ValueError(f"{name} must be a number, not {text!r}") from None
    try:
        return Timing(**values)
    except ValueError as exc:
        raise ValueError(f"in the WS_* environment variables: {exc}") from None


_current: Timing | None = None


def timing() -> Timing:
    """The durations in force."""
    global _current
    if _current is None:
        _current = _from_environment()
    return _current


MAX_MESSAGE_SIZE = 16 * 2**20
"""The default largest message (16 MiB): far above what a test means to receive, far
below what would exhaust the test machine."""

ENV_MAX_MESSAGE_SIZE = "WS_MAX_MESSAGE_SIZE"

_UNITS = {"": 1, "b": 1, "kib": 2**10, "mib": 2**20, "gib": 2**30}
_SIZE = re.compile(r"(\d+)\s*([a-z]*)")

_max_message_size: int | None = None


def parse_size(text: str) -> int:
    """``"16MiB"``, ``"512 KiB"`` or ``"1048576"`` (bytes) as a number of bytes, at
    least 1; raises :class:`ValueError` saying how to write one."""
    found = _SIZE.fullmatch(text.strip().lower())
    if found is None or found[2] not in _UNITS or int(found[1]) < 1:
        raise ValueError(
            f"max_message_size must be a size such as 16MiB, 512KiB or 1048576 (bytes), "
            f"not {text!r}"
        )
    return int(found[1]) * _UNITS[found[2]]


def checked_size(size: int) -> int:
    """``size`` if it is a whole number of bytes, at least 1; else :class:`ValueError`."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError(
            f"max_message_size must be a whole number of bytes, 1 or more, not {size!r}"
        )
    return size


def describe_size(size: int) -> str:
    """A size as people write it: ``16 MiB``, ``1 KiB``, ``1000 bytes``."""
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def max_message_size() -> int:
    """The largest message a client accepts unless it is told otherwise, in bytes."""
    global _max_message_size
    if _max_message_size is None:
        _max_message_size = _max_message_size_from_environment()
    return _max_message_size


def _max_message_size_from_environment() -> int:
    text = os.environ.get(ENV_MAX_MESSAGE_SIZE, "").strip()
    try:
        return parse_size(text) if text else MAX_MESSAGE_SIZE
    except ValueError as exc:
        raise ValueError(f"{ENV_MAX_MESSAGE_SIZE}: {exc}") from None


def configure(
    *,
    timeout: float | None = None,
    quiet_window: float | None = None,
    late_window: float | None = None,
    scale: float | None = None,
    max_message_size: int | None = None,
) -> Timing:
    """Change the durations for waits started from now on, and the largest message for
    clients created from now on; the rest comes from the environment, checked here."""
    global _current, _max_message_size
    if max_message_size is not None:
        _max_message_size = checked_size(max_message_size)
    elif _max_message_size is None:
        _max_message_size = _max_message_size_from_environment()
    given = dict(timeout=timeout, quiet_window=quiet_window, late_window=late_window, scale=scale)
    changes = {name: float(value) for name, value in given.items() if value is not None}
    _current = replace(timing(), **changes)
    return _current
