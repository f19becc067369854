"""Starting what a benchmark measures, and measuring it: servers pinned to one core,
generators pinned to the other, CPU time and memory read from /proc.

Fairness on a small machine: every server runs in its own process pinned to one
core (:data:`SERVER_CPU`) and every load generator or harness run in another
process pinned to the other core (:data:`LOAD_CPU`), so the two never compete
for a core. Every server is started on a free loopback port and stopped by the
caller's ``with`` block, also on failure; every generator run is bounded in time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wsharness import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
SERVER_CPU = 0
LOAD_CPU = 1
RUN_TIMEOUT = 300.0
"""No single generator or harness run may take longer than this, in seconds."""

Result = dict[str, Any]


def pinned(cpu: int, argv: list[str]) -> list[str]:
    """``argv`` run on one core only, when the machine has two and taskset exists."""
    if (os.cpu_count() or 1) > 1 and shutil.which("taskset"):
        return ["taskset", "-c", str(cpu), *argv]
    return argv


@contextmanager
def server(kind: str, loop: str) -> Iterator[ServerProcess]:
    """Our chat server (``kind="ours"``) or the ceiling, on a free loopback port."""
    module = "server" if kind == "ours" else "bench.ceiling"
    argv = [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", "0"]
    argv += ["--event-loop", loop]
    with ServerProcess(pinned(SERVER_CPU, argv), cwd=str(ROOT)) as process:
        yield process


def run_json(argv: list[str], env: dict[str, str] | None = None) -> Result:
    """Run a generator or harness process on the load core; return its JSON line."""
    completed = subprocess.run(
        pinned(LOAD_CPU, [sys.executable, *argv]),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{completed.stderr[-3000:]}")
    result: Result = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def cpu_seconds(pid: int | None) -> float:
    """User plus system CPU time a process has used, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int | None) -> int:
    """Resident memory of a process in KiB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")
