"""What stops a process: SIGINT, SIGTERM, or the end of its stdin.

Servers call :func:`watch_for_stop` before printing their URL (SIGTERM may follow at once).
Programs that run others synchronously call :func:`interrupt_on_signals`, so both signals
raise :class:`KeyboardInterrupt` and what they started is stopped; :func:`interrupted_by`
remembers the signal even where the interrupt was swallowed (a weakref callback, a broad
``except``), so the program stops at its next safe point.
"""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import sys
from collections.abc import Callable
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

END_OF_STDIN = "end of stdin"  # what watch_for_stop reports when stdin closed

_interrupted_by: str | None = None


def watch_for_stop(*, stop_on_stdin_eof: bool = False) -> asyncio.Future[str]:
    """On the running loop: SIGINT or SIGTERM (or, with ``stop_on_stdin_eof``, the end of a
    stdin that must be a pipe) completes the future with the signal's name (or
    :data:`END_OF_STDIN`). Later signals are ignored until exit, so a second SIGTERM never
    turns a clean exit into death by signal."""
    loop = asyncio.get_running_loop()
    stopped: asyncio.Future[str] = loop.create_future()

    def stop(reason: str) -> None:
        if stopped.done():
            return
        stopped.set_result(reason)
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
            signal.signal(signum, signal.SIG_IGN)

    if stop_on_stdin_eof:
        _watch_stdin(loop, stop)
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop, signal.Signals(signum).name)
    return stopped


def stdin_is_a_pipe() -> bool:
    """True if stdin is a pipe (or socket), whose end means the writer has gone."""
    mode = os.fstat(sys.stdin.fileno()).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _watch_stdin(loop: asyncio.AbstractEventLoop, stop: Callable[[str], None]) -> None:
    if not stdin_is_a_pipe():
        raise ValueError("stdin is not a pipe, so its end cannot mean that the parent has gone")
    fd = sys.stdin.fileno()

    def read() -> None:
        # The parent never writes; anything that does arrive is read and dropped.
        if not os.read(fd, 65536):
            loop.remove_reader(fd)
            stop(END_OF_STDIN)

    loop.add_reader(fd, read)


def interrupt_on_signals() -> None:
    """From the main thread: SIGINT and SIGTERM raise KeyboardInterrupt; interrupted_by names it."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _interrupt)


def defer_interrupts() -> None:
    """From now on SIGINT and SIGTERM are only remembered: for a clean-up that a
    ``KeyboardInterrupt`` would leave half done."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _remember)


def interrupted_by() -> str | None:
    """The name of the signal that interrupted this process ("SIGINT"), or None."""
    return _interrupted_by


def _interrupt(signum: int, frame: FrameType | None) -> None:
    _remember(signum, frame)
    raise KeyboardInterrupt


def _remember(signum: int, frame: FrameType | None) -> None:
    global _interrupted_by
    _interrupted_by = signal.Signals(signum).name
