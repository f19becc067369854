"""How long the harness waits: one default timeout, scalable for slow machines.

The defaults come from the environment so a CI job can scale every wait without
touching the tests:

* ``WS_TIMEOUT``: seconds a wait may take before it fails (default 3);
* ``WS_QUIET_WINDOW``: seconds to watch when asserting that nothing arrives
  (default 0.2);
* ``WS_TIMEOUT_SCALE``: a factor applied to both (default 1).

behave's ``-D timeout=``, ``-D quiet_window=`` and ``-D timeout_scale=`` set the
same values through :func:`configure`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

ENV_TIMEOUT = "WS_TIMEOUT"
ENV_QUIET_WINDOW = "WS_QUIET_WINDOW"
ENV_TIMEOUT_SCALE = "WS_TIMEOUT_SCALE"


@dataclass(frozen=True)
class Timing:
    """Base durations in seconds and the factor that scales them."""

    timeout: float = 3.0
    quiet_window: float = 0.2
    scale: float = 1.0

    def __post_init__(self) -> None:
        for name in ("timeout", "quiet_window", "scale"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")

    @property
    def wait(self) -> float:
        """How long a wait may take, scaled."""
        return self.timeout * self.scale

    @property
    def quiet(self) -> float:
        """How long to watch for a message that must not arrive, scaled."""
        return self.quiet_window * self.scale


def _from_environment() -> Timing:
    defaults = Timing()
    return Timing(
        timeout=_env_float(ENV_TIMEOUT, defaults.timeout),
        quiet_window=_env_float(ENV_QUIET_WINDOW, defaults.quiet_window),
        scale=_env_float(ENV_TIMEOUT_SCALE, defaults.scale),
    )


def _env_float(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {text!r}") from None


_current = _from_environment()


def timing() -> Timing:
    """The durations in force."""
    return _current


def configure(
    *,
    timeout: float | None = None,
    quiet_window: float | None = None,
    scale: float | None = None,
) -> Timing:
    """Change the durations in force for clients created from now on."""
    global _current
    changes = {
        name: float(value)
        for name, value in (("timeout", timeout), ("quiet_window", quiet_window), ("scale", scale))
        if value is not None
    }
    _current = replace(_current, **changes)
    return _current
