"""No server outlives the run that started it, however that run ends.

Each test starts a real behave run or acceptance stage that starts a real server,
ends the run the hard way (SIGKILL, SIGHUP, a broken stdout pipe), and waits,
within a bound, for the server's process to end (``psutil.Process.wait``, which
the kernel wakes through a pidfd where it can). Every run is started in a session
of its own, so no signal reaches anything else, and a server left behind by a
failing test is killed by its pid.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from acceptance import testbed
from acceptance.testbed import PROJECT_ROOT
from wsharness import ServerProcess

WAITS_FOREVER = "tests/fixtures/waits_forever.feature"
STAGE = str(PROJECT_ROOT / "scripts" / "acceptance-stage")

GONE_WITHIN = 10.0
"""Seconds a server may take to go once the run that started it has gone."""

ZOMBIE_CHECK = 0.5
"""Seconds between checks for an ended process that its new parent has not reaped."""

READ_TIMEOUT = 60.0
"""Seconds a run may take to reach the point where the test ends it."""

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's"
)


@contextmanager
def started(command: list[str], *, until: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Run ``command`` in a session of its own until it prints a line containing
    ``until``; yield the process and everything it printed so far. Kill it on the way out."""
    run = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHON": sys.executable},
    )
    assert run.stdout is not None
    timer = threading.Timer(READ_TIMEOUT, run.kill)  # bounds the read below
    timer.start()
    printed = []
    try:
        for line in run.stdout:
            printed.append(line)
            if until in line:
                break
        timer.cancel()
        assert until in "".join(printed[-1:]), f"never printed {until!r}:\n{''.join(printed)}"
        yield run, "".join(printed)
    finally:
        timer.cancel()
        run.kill()
        run.wait()
        if run.stdout is not None:
            run.stdout.close()


def only_child(parent: subprocess.Popen[str]) -> psutil.Process:
    """The one process that ``parent`` has started: its server."""
    children = psutil.Process(parent.pid).children()
    assert len(children) == 1, f"expected one server, found {children}"
    return children[0]


def ended(process: psutil.Process) -> bool:
    """True once the process has ended: gone, or a zombie that nobody has reaped yet."""
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def assert_gone(child: psutil.Process) -> None:
    """The process ends within :data:`GONE_WITHIN` seconds; if not, it is killed and the
    test fails."""
    deadline = time.monotonic() + GONE_WITHIN
    while not ended(child):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            command = shlex.join(child.cmdline())
            child.kill()
            pytest.fail(f"{child.pid} outlived the run that started it: {command}")
        with contextlib.suppress(psutil.TimeoutExpired):
            child.wait(min(ZOMBIE_CHECK, remaining))


def behave_waiting(*options: str) -> list[str]:
    """behave on a scenario that connects, then waits a long time for a message."""
    return [sys.executable, "-m", "behave", "-f", "plain", "--no-capture", *options, WAITS_FOREVER]


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGHUP], ids=["SIGKILL", "SIGHUP"])
def test_the_embedded_server_goes_when_behave_is_killed(signum: int) -> None:
    """behave killed outright, or hung up, runs no clean-up: its server goes all the same."""
    with started(behave_waiting("-D", "timeout=60"), until="Alice is connected ... passed") as (
        behave,
        _,
    ):
        server = only_child(behave)
        behave.send_signal(signum)
        behave.wait(GONE_WITHIN)
        assert_gone(server)


def test_the_embedded_server_goes_when_behave_writes_to_a_closed_pipe() -> None:
    """``behave ... | head -3``: behave dies of the broken pipe, and so does its server."""
    with started(behave_waiting("-D", "timeout=1"), until="Alice is connected ... passed") as (
        behave,
        _,
    ):
        server = only_child(behave)
        assert behave.stdout is not None
        behave.stdout.close()  # what head does after its lines; the failing wait then writes
        behave.wait(READ_TIMEOUT)
        assert behave.returncode != 0
        assert_gone(server)


@pytest.mark.parametrize(
    "server_command",
    [None, shlex.join([sys.executable, "-m", "tests.servers.article", "--port", "0"])],
    ids=["chat server", "any --server-command"],
)
def test_the_stages_server_and_behave_go_when_the_stage_is_killed(
    server_command: str | None, tmp_path: Path
) -> None:
    """The acceptance stage killed with SIGKILL: the chat server it started goes, and so
    do a ``--server-command`` that knows nothing of its parent (the article's server)
    and the behave run that would otherwise go on against no server."""
    command = ["bash", STAGE, "--reports", str(tmp_path), WAITS_FOREVER, "--", "-D", "timeout=60"]
    if server_command is not None:  # the article's server has no health check
        command[2:2] = ["--server-command", server_command, "--skip-checks", "health"]
    with started(command, until="USING RUNNER") as (stage, _):  # behave has started
        children = psutil.Process(stage.pid).children()
        assert len(children) == 2, f"expected a server and behave, found {children}"
        stage.send_signal(signal.SIGKILL)
        stage.wait(GONE_WITHIN)
        for child in children:
            assert_gone(child)


def test_a_server_started_by_any_process_goes_with_it() -> None:
    """A test process that starts a server with ServerProcess and is killed leaves none:
    the same protection covers the servers that pytest starts."""
    script = (
        "import sys; from wsharness import ServerProcess\n"
        "server = ServerProcess([sys.executable, '-m', 'tests.servers.article', '--port', '0'])\n"
        "print(server.start(), flush=True)\n"
        "sys.stdin.read()\n"
    )
    with started([sys.executable, "-c", script], until="ws://") as (parent, _):
        server = only_child(parent)
        parent.send_signal(signal.SIGKILL)
        parent.wait(GONE_WITHIN)
        assert_gone(server)


def test_a_server_started_from_a_passing_thread_outlives_that_thread() -> None:
    """Linux's parent-death signal follows the thread that forked, so it is not used off
    the main thread: a server started from a short-lived thread keeps serving."""
    servers: list[ServerProcess] = []
    starter = threading.Thread(target=lambda: servers.append(testbed.start().process))
    starter.start()
    starter.join(READ_TIMEOUT)
    (server,) = servers
    try:
        assert server.pid is not None
        # The deliberate window: a parent-death signal would stop it at once.
        with pytest.raises(psutil.TimeoutExpired):
            psutil.Process(server.pid).wait(0.5)
    finally:
        assert server.stop() == 0
