"""The benchmark's processes: which core each runs on, how each is started and weighed.

Every server runs pinned to :data:`SERVER_CPU` and every load generator or harness run
to :data:`LOAD_CPU`, so on a two-core machine the two never compete for a core; the
driver only waits. CPU time and memory come from :mod:`psutil`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Literal, TypeVar

import psutil

from acceptance import testbed
from acceptance.testbed import PROJECT_ROOT
from bench.results import R, read_result
from wsharness import ServerProcess

ROOT = PROJECT_ROOT
SERVER_CPU = 0
LOAD_CPU = 1
RUN_TIMEOUT = 300.0
"""No single generator or harness run may take longer than this, in seconds."""

ServerKind = Literal["ours", "ceiling"]
SERVER_KINDS: tuple[ServerKind, ...] = ("ceiling", "ours")
"""The order of the servers in even rounds (:func:`turns`)."""

T = TypeVar("T")


def turns(rounds: int, order: Sequence[T]) -> Iterator[tuple[str, T]]:
    """Each of ``order`` in every round, with the round as "n/N"; reversed in odd rounds,
    so that nothing is always measured on a machine the one before it has just warmed up."""
    for number in range(rounds):
        for one in order if number % 2 == 0 else reversed(order):
            yield f"{number + 1}/{rounds}", one


def pinned(cpu: int, argv: Sequence[str]) -> list[str]:
    """``argv`` run on one core only, when the machine has two and taskset exists."""
    if (os.cpu_count() or 1) > 1 and shutil.which("taskset"):
        return ["taskset", "-c", str(cpu), *argv]
    return list(argv)


@contextmanager
def server(
    kind: ServerKind, loop: str, *options: str, command: Sequence[str] | None = None
) -> Iterator[ServerProcess]:
    """Our chat server (``kind="ours"``, with ``options``; or ``command``, a server of the
    same kind) or the ceiling, on a free loopback port and the server core."""
    if kind == "ceiling":
        command = [sys.executable, "-m", "bench.ceiling", "--port", "0", "--event-loop", loop]
    on_core = pinned(SERVER_CPU, [])
    with testbed.start(
        "--event-loop", loop, *options, command=command, command_prefix=on_core
    ) as bed:
        yield bed.process


def load_argv(command: str, *urls: str, **options: object) -> list[str]:
    """``python -m bench.MODULE SCENARIO URL... --option value...`` (``command`` names
    both, say ``"loadgen fanout"``; an option given a list is repeated)."""
    module, scenario = command.split()
    argv = [sys.executable, "-m", f"bench.{module}", scenario, *urls]
    for name, value in options.items():
        for one in value if isinstance(value, list) else [value]:
            argv += [f"--{name.replace('_', '-')}", str(one)]
    return argv


def run_on_load_core(
    kind: type[R],
    command: str,
    *urls: str,
    env: Mapping[str, str] | None = None,
    **options: object,
) -> R:
    """Run :func:`load_argv` on the load core; return the result its last line reports."""
    argv = load_argv(command, *urls, **options)
    completed = subprocess.run(
        pinned(LOAD_CPU, argv),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[1:])} failed:\n{completed.stderr[-3000:]}")
    return read_result(kind, completed.stdout.strip().splitlines()[-1])


def against(process: ServerProcess, server_kind: ServerKind) -> dict[str, object]:
    """The generator's options for a server: its URL's protocol and its process."""
    return {"protocol": "chat" if server_kind == "ours" else "plain", "server_pid": process.pid}


def load(
    kind: type[R], command: str, process: ServerProcess, server_kind: ServerKind, **options: object
) -> R:
    """:func:`run_on_load_core` against one server, in its protocol, weighing its process."""
    assert process.url is not None
    return run_on_load_core(
        kind, command, process.url, env=None, **against(process, server_kind), **options
    )


def load_fresh(
    kind: type[R],
    command: str,
    server_kind: ServerKind,
    *server_options: str,
    loop: str = "auto",
    **options: object,
) -> R:
    """:func:`load` against a fresh server of ``server_kind``, started with ``server_options``."""
    with server(server_kind, loop, *server_options) as process:
        return load(kind, command, process, server_kind, **options)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far: per message, it does not
    depend on what else the machine is doing, unlike messages per second."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


class CoreBusy:
    """How busy a process keeps its core from now on: :meth:`share` is its CPU seconds
    per wall-clock second since this was made (0 to 1 on one core)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.cpu, self.started = cpu_seconds(pid), time.perf_counter()

    def share(self) -> float:
        return (cpu_seconds(self.pid) - self.cpu) / (time.perf_counter() - self.started)


def rss_kib(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default), in KiB."""
    return psutil.Process(pid).memory_info().rss / 1024
