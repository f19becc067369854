"""How many files a process may open: as many as the system lets it, since each connection
is a file and a soft limit of 1,024 is far below what a crowd of clients needs.
"""

from __future__ import annotations

import contextlib
import resource

UNLIMITED_WANTED = 1 << 20  # asked for under an unlimited hard limit (Linux's nr_open)


def raise_open_file_limit() -> int:
    """Raise the soft limit on open files to the hard limit (:data:`UNLIMITED_WANTED` if that
    is unlimited, as on macOS), never lowering it; return the new one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = UNLIMITED_WANTED if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
