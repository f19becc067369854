"""How long the harness waits: one default timeout, scalable for slow machines.

The defaults come from the environment, so a CI job can scale every wait
without touching the tests:

* ``WS_TIMEOUT``: seconds a wait may take before it fails (default 3);
* ``WS_QUIET_WINDOW``: seconds :meth:`TestWebSocket.assert_no_message` watches
  by default (default 0.2);
* ``WS_LATE_WINDOW``: seconds the acceptance steps keep watching, after proving
  silence with round trips, for messages a server sends late from background
  work (default 0: round trips only);
* ``WS_TIMEOUT_SCALE``: a factor applied to all of them (default 1).

behave's ``-D timeout=``, ``-D quiet_window=``, ``-D late_window=`` and
``-D timeout_scale=`` set the same values through :func:`configure`. The
environment is read on first use, so a bad value is reported where it is used.
"""

from __future__ import annotations

import os
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


def configure(
    *,
    timeout: float | None = None,
    quiet_window: float | None = None,
    late_window: float | None = None,
    scale: float | None = None,
) -> Timing:
    """Change the durations in force for waits started from now on."""
    global _current
    changes = {
        name: float(value)
        for name, value in (
            ("timeout", timeout),
            ("quiet_window", quiet_window),
            ("late_window", late_window),
            ("scale", scale),
        )
        if value is not None
    }
    _current = replace(timing(), **changes)
    return _current
