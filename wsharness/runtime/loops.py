"""Which asyncio event loop to run on: uvloop when it is installed.

uvloop is an optional extra (``pip install -r requirements-fast.txt``); it makes the
same server answer more messages per second on the same core, and every round trip
a test makes crosses the harness's loop, which uvloop makes cheaper. The standard
library loop is always there, so everything runs either way. The server chooses
with ``--event-loop``, the harness with ``WS_EVENT_LOOP``, both through
:func:`loop_factory`.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable

EVENT_LOOPS = ("auto", "asyncio", "uvloop")

ENV_EVENT_LOOP = "WS_EVENT_LOOP"
"""Environment variable that chooses the harness's loop: auto, asyncio or uvloop."""

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def uvloop_installed() -> bool:
    """True if ``import uvloop`` would succeed."""
    return importlib.util.find_spec("uvloop") is not None


def loop_factory(choice: str = "auto") -> tuple[str, LoopFactory]:
    """The loop to run on and a factory for it, for :class:`asyncio.Runner`.

    ``"auto"`` picks uvloop if it is installed and asyncio otherwise; ``"uvloop"``
    raises :class:`RuntimeError`, saying how to install it, if it is not; any
    other choice raises :class:`ValueError` naming the choices.
    """
    if choice not in EVENT_LOOPS:
        raise ValueError(f"event loop must be one of {', '.join(EVENT_LOOPS)}, not {choice!r}")
    if choice == "auto":
        choice = "uvloop" if uvloop_installed() else "asyncio"
    if choice == "uvloop":
        try:
            import uvloop
        except ImportError:
            raise RuntimeError(
                "uvloop is not installed; pip install -r requirements-fast.txt, "
                "or choose the asyncio event loop"
            ) from None
        return "uvloop", uvloop.new_event_loop
    return "asyncio", asyncio.new_event_loop
