"""How many files a process may open: as many as the system lets it.

Each WebSocket connection is a file. Many systems start processes with a soft limit
of 1,024 open files, far below what a crowd of clients (or a server facing one)
needs and far below the hard limit that the process may raise it to.
"""

from __future__ import annotations

import contextlib
import resource

UNLIMITED_WANTED = 1 << 20
"""Soft limit to ask for when the hard limit is unlimited (Linux's default ``nr_open``)."""


def raise_open_file_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit; return the new one.

    An unlimited hard limit (as on macOS) does not leave the soft limit where it
    was: it is raised to :data:`UNLIMITED_WANTED` files, or left alone if the
    system refuses that. The soft limit is never lowered.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = UNLIMITED_WANTED if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
