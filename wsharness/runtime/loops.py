"""Which asyncio event loop to run on: uvloop when it is installed (``requirements-fast.txt``),
which answers more messages per core and makes the harness's round trips cheaper. The
server chooses with ``--event-loop``, the harness with ``WS_EVENT_LOOP``.
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
    """The loop's name and a factory for it (``"auto"``: uvloop if installed); a missing
    uvloop raises :class:`RuntimeError`, an unknown choice :class:`ValueError`."""
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
