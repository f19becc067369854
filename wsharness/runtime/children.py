"""Child processes that go away with the process that started them.

A parent killed by SIGKILL, SIGHUP or a broken pipe before its clean-up leaves its servers
running, so :class:`wsharness.ServerProcess` gives each two guards. Linux's parent-death
signal (:func:`parent_death_signal`) needs no help from the child, but is Linux only and tied
to the forking *thread*, so it is set from the main thread only. A lifeline, a stdin pipe only
the parent holds, closes however the parent ends, on any POSIX system; the child must watch it
(``python -m server --stop-on-stdin-eof``). :func:`stop_child` stops a child: a signal, a
bounded wait, then SIGKILL.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

PR_SET_PDEATHSIG = 1  # prctl option from <linux/prctl.h>


def parent_death_signal(signum: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` that has Linux send ``signum`` to the child when this process ends,
    or None where that is not safe: other systems, threads other than the main one."""
    if not sys.platform.startswith("linux"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
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
    """Send ``signum`` to ``process`` if it still runs, wait up to ``timeout`` seconds, then
    SIGKILL it; return its exit code. ``whole_group`` signals the group it leads (started
    with ``start_new_session=True``), so a wrapper's (``sh -c``) children get it too."""
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
