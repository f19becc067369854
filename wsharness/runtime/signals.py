"""What stops a process: SIGINT, SIGTERM, or the end of its stdin.

Servers (the chat server, the test servers) call :func:`watch_for_stop` before
they print their URL, since whoever reads the URL may send SIGTERM the next
instant, and then await the future it returns.

Programs that run others synchronously (behave's hooks in ``environment.py``, the
acceptance stage) call :func:`interrupt_on_signals`: SIGINT and SIGTERM (a CI job's
timeout) then both raise :class:`KeyboardInterrupt`, so the program stops what it
started on the way out. A ``KeyboardInterrupt`` can land where it is swallowed: in a
weakref callback or an at-fork hook such as logging's ("Exception ignored in ..."),
or in a library's broad ``except``. :func:`interrupted_by` remembers the signal all the
same, so the program can stop at its next safe point instead of carrying on.
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

END_OF_STDIN = "end of stdin"
"""What :func:`watch_for_stop` reports when stdin closed."""

_interrupted_by: str | None = None


def watch_for_stop(*, stop_on_stdin_eof: bool = False) -> asyncio.Future[str]:
    """From now on, SIGINT or SIGTERM completes the returned future with the signal's
    name; with ``stop_on_stdin_eof``, so does the end of stdin, with :data:`END_OF_STDIN`.

    Call it on the running loop. Later signals change nothing, until the process
    exits: once stopping, SIGINT and SIGTERM are ignored, also after the loop has
    closed (closing it would put back their default action, and a second SIGTERM from
    an impatient supervisor would then turn a clean exit into death by signal).
    ``stop_on_stdin_eof`` needs stdin to be a pipe (the lifeline of
    :mod:`wsharness.runtime.children`): anything else raises :class:`ValueError`, since
    a terminal or ``/dev/null`` is no parent's pipe.
    """
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
    """Make SIGINT and SIGTERM raise :class:`KeyboardInterrupt` in the main thread, and
    remember which one came, for :func:`interrupted_by`. Call it from the main thread."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _interrupt)


def defer_interrupts() -> None:
    """From now on SIGINT and SIGTERM are only remembered, for :func:`interrupted_by`:
    for the clean-up at the end of a run, which a ``KeyboardInterrupt`` would cut short
    and leave half done."""
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
