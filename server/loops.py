"""The event loop choice, which lives in :mod:`runtime.loops`; new code imports it from there.

Kept so that ``bench/`` keeps importing ``server.loops`` until it moves to ``runtime.loops``.
"""

from runtime.loops import EVENT_LOOPS, LoopFactory, loop_factory, uvloop_installed

__all__ = ["EVENT_LOOPS", "LoopFactory", "loop_factory", "uvloop_installed"]
