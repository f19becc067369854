"""Child processes that go away with the process that started them.

A child outlives its parent unless something stops it: a parent killed with
SIGKILL, hung up by SIGHUP, or ended by a broken stdout pipe before its clean-up ran
leaves its servers running, adopted by process 1. :class:`wsharness.ServerProcess`
therefore gives every server two guards, and starts it in a session of its own:

* **Linux's parent-death signal**, set between fork and exec by
  :func:`parent_death_signal`: the kernel sends the child SIGTERM when the thread
  that started it ends. It works for any command, with no help from it. But it is
  Linux only, it reaches the started process and not that process's own children,
  and it is tied to the *thread* that forked, not to the process: started from a
  thread that ends early, the child would be stopped with it. So it is only set
  from the main thread, whose end is the end of the process.
* **a lifeline**: the child's stdin is a pipe whose other end only the parent
  holds. The kernel closes that end when the parent ends, however it ends, on every
  POSIX system and from any thread; a server that watches its stdin
  (``python -m server --stop-on-stdin-eof``) stops at end of file. It needs the
  child's help, which the project's own server gives.

:func:`stop_child` stops such a child the one way the harness does: a signal,
a bounded wait, then SIGKILL.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

PR_SET_PDEATHSIG = 1
"""``prctl`` option from ``<linux/prctl.h>``."""


def parent_death_signal(signum: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` for :mod:`subprocess` that has Linux send ``signum`` to the child
    when this process ends, or None where that cannot be had safely: on other
    systems, and in threads other than the main thread (see the module's notes)."""
    if not sys.platform.startswith("linux"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    prctl = _libc().prctl
    parent = os.getpid()

    def set_parent_death_signal() -> None:
        if prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before the signal was set
            os.kill(os.getpid(), signum)

    return set_parent_death_signal


def stop_child(
    process: subprocess.Popen[Any],
    timeout: float,
    signum: int = signal.SIGTERM,
    *,
    whole_group: bool = False,
) -> int | None:
    """Send ``signum`` to ``process`` if it still runs, wait up to ``timeout`` seconds
    for it to exit, then SIGKILL it and wait; return its exit code.

    ``whole_group`` signals the process group that ``process`` leads (it must have
    been started with ``start_new_session=True``), so the children of a wrapper such
    as ``sh -c`` get the signal too.
    """
    if process.poll() is None:
        # Not yet reaped, so its pid, which names its process group, is still its own.
        _send(process, signum, whole_group=whole_group)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            _send(process, signal.SIGKILL, whole_group=whole_group)
            process.wait()
    return process.returncode


def _send(process: subprocess.Popen[Any], signum: int, *, whole_group: bool) -> None:
    if whole_group:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)
