"""The server and the harness both lift their open-file soft limit to the hard limit.

Each connection is a file, and many systems start processes at 1,024 open files.
Both run :func:`wsharness.runtime.limits.raise_open_file_limit`; these tests start each one
with a soft limit of 256 and read the limit it then runs with.
"""

from __future__ import annotations

import resource
import subprocess
import sys

import psutil

from acceptance import testbed
from acceptance.testbed import PROJECT_ROOT

LOW = 256
LOWERED = ["bash", "-c", f'ulimit -S -n {LOW} && exec "$0" "$@"']
"""A command prefix that starts the command with a soft limit of :data:`LOW` files."""


def test_the_server_lifts_its_soft_limit_to_the_hard_limit() -> None:
    """A server started at 256 files runs with as many as the hard limit allows."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    with testbed.start(command_prefix=LOWERED).process as server:
        assert server.pid is not None
        soft, server_hard = psutil.Process(server.pid).rlimit(psutil.RLIMIT_NOFILE)
    assert (soft, server_hard) == (hard, hard)
    assert soft > LOW


def test_the_harness_lifts_its_soft_limit_before_its_first_client() -> None:
    """A test process started at 256 files has the hard limit once its loop runs."""
    script = (
        "import resource; from wsharness.loop import shared_loop; "
        "before = resource.getrlimit(resource.RLIMIT_NOFILE)[0]; shared_loop(); "
        "print(before, *resource.getrlimit(resource.RLIMIT_NOFILE))"
    )
    result = subprocess.run(
        [*LOWERED, sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    before, soft, hard = (int(word) for word in result.stdout.split())
    assert before == LOW
    assert soft == hard > LOW
