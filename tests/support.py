"""What the pytest suite shares: its time unit, the project's commands, servers it controls.

One section per job: the time unit every duration in the tests is written in;
the paths the tests use; running the project's commands (Python, behave, the
acceptance stage, a browser) in their own processes; asking a server again until
it accepts; websockets servers on a loop of their own, so a test decides exactly
what the server sends and when.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest
from websockets.asyncio.server import ServerConnection, serve

from acceptance.testbed import PROJECT_ROOT as PROJECT_ROOT  # the one project root, re-exported
from wsharness import TestWebSocket
from wsharness.loop import EventLoopThread
from wsharness.settings import timing

# --- The time unit -------------------------------------------------------------------

TIMEOUT_SCALE = timing().scale
"""``WS_TIMEOUT_SCALE`` (default 1): the one factor for slow machines. The harness
scales its own waits by it, behave runs started here inherit it, and the tests
scale every duration they state through :data:`MS`."""

MS = 0.001 * TIMEOUT_SCALE
"""One millisecond, scaled: every duration in the tests is a multiple of it."""

# --- Paths ---------------------------------------------------------------------------

FAILING_FEATURES = PROJECT_ROOT / "tests" / "fixtures" / "failing"
"""Scenarios that fail on purpose, to check what a failure shows."""

CONVERSATION_FEATURES = PROJECT_ROOT / "tests" / "fixtures" / "conversation"
"""Passing scenarios whose conversations the tests draw and check."""

STAGE = PROJECT_ROOT / "scripts" / "acceptance-stage"

# --- Running the project's commands --------------------------------------------------

RUN_TIMEOUT = 120_000 * MS
"""How long any one command (Python, behave, the stage, behavex, a browser) may run."""


def run(
    command: Sequence[str], *, timeout: float = RUN_TIMEOUT, env: Mapping[str, str] = {}
) -> subprocess.CompletedProcess[str]:
    """Run a command from the project root, as a person would, and capture what it says.
    Scripts run with this interpreter (``PYTHON``); ``env`` adds to or overrides the
    environment."""
    return subprocess.run(
        list(command),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHON": sys.executable, **env},
    )


def run_python(
    *args: str, timeout: float = RUN_TIMEOUT, env: Mapping[str, str] = {}
) -> subprocess.CompletedProcess[str]:
    """Run this interpreter with ``args`` from the project root."""
    return run([sys.executable, *args], timeout=timeout, env=env)


def run_stage(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``scripts/acceptance-stage`` with this interpreter."""
    return run(["bash", str(STAGE), *args])


@dataclass(frozen=True)
class BehaveRun:
    """What a behave run printed and how each scenario ended."""

    returncode: int
    stdout: str
    stderr: str
    statuses: dict[str, str]
    """Scenario name -> "passed", "failed", "skipped", ... from behave's JSON report."""

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def with_status(self, status: str) -> list[str]:
        return [name for name, value in self.statuses.items() if value == status]


def run_behave(*args: str, report_dir: Path, timeout: float = RUN_TIMEOUT) -> BehaveRun:
    """Run behave in its own process from the project root, as a person would.

    behave writes a JSON report into ``report_dir`` (for :attr:`BehaveRun.statuses`),
    then the formats ``args`` ask for, each with its own ``-o``, then plain text
    on stdout.
    """
    report_dir.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="behave-", suffix=".json", dir=report_dir)
    os.close(handle)
    report = Path(name)
    result = run_python(
        *("-m", "behave", "--no-color", "-f", "json", "-o", str(report)),
        *args,
        *("-f", "plain"),
        timeout=timeout,
    )
    statuses: dict[str, str] = {}
    if report.stat().st_size:
        for feature in json.loads(report.read_text("utf-8")):
            for element in feature.get("elements", []):
                if element.get("type") == "scenario":
                    statuses[element["name"]] = element["status"]
    return BehaveRun(result.returncode, result.stdout, result.stderr, statuses)


def behave_duration(name: str, ms: float) -> tuple[str, str]:
    """behave's ``-D name=SECONDS`` for ``ms`` milliseconds before scaling: behave
    scales it by ``WS_TIMEOUT_SCALE`` itself, so the duration it uses is ``ms * MS``."""
    return "-D", f"{name}={ms / 1000:g}"


def missing(message: str) -> NoReturn:
    """A program the test needs is not installed: skip the test (or, called at import
    time, its module), but fail in CI (CI=true), where everything is installed."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message, allow_module_level=True)


def chromium() -> str:
    """The headless browser's path; fails in CI (CI=true) when it is missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    missing("chromium is not installed (apt-get install -y chromium; .ci/run does it)")


# --- Asking a server -------------------------------------------------------------------


Ask = tuple[Any, str]
"""A request to send and the reply that means it was accepted."""


def ask_until_accepted(
    person: TestWebSocket,
    ask: Ask | Callable[[int], Ask],
    refusals: Sequence[str],
    *,
    deadline: float,
    failure: str,
) -> None:
    """Send a request until the reply says it was accepted: for what has no
    acknowledgement (a departure, an allowance renewed), each attempt a round trip.

    ``ask`` is the request and its accepted reply, or a function of the attempt
    (0, 1, ...) that gives them. Every reply must be the accepted one or one of
    ``refusals``; the assertion ``failure`` is raised once ``deadline``
    (:func:`time.monotonic`) has passed, and no reply may come after it. The reply
    is the next message ``person`` receives, and nothing else may come with it.
    (People of the chat's driver ask with :func:`acceptance.chat.until_accepted`.)
    """
    for attempt in itertools.count():
        left = deadline - time.monotonic()
        assert left > 0, failure
        request, accepted = ask(attempt) if callable(ask) else ask
        person.send_json(request)
        (record,) = person.take_messages(1, timeout=left)
        reply = record.data
        assert not person.messages, f"{person.name} was told {[reply, *person.messages]!r}"
        if reply == accepted:
            return
        assert reply in refusals, f"{person.name} was told {reply!r}"


# --- Servers the tests control --------------------------------------------------------

Handler = Callable[[ServerConnection], Awaitable[None]]


@dataclass
class ControlledServer:
    """A server whose connections the test can reach: ``connections`` in order."""

    url: str
    loop: EventLoopThread
    connections: list[ServerConnection] = field(default_factory=list)
    connected: asyncio.Queue[ServerConnection] | None = None

    def next_connection(self, timeout: float = 5000 * MS) -> ServerConnection:
        """The next connection to be accepted, waiting for it if needed."""
        assert self.connected is not None
        queue = self.connected

        async def take() -> ServerConnection:
            return await asyncio.wait_for(queue.get(), timeout)

        return self.loop.run(take())

    def do(self, coroutine: Awaitable[Any], timeout: float = 5000 * MS) -> Any:
        """Run ``coroutine`` on the server's loop and return its result."""

        async def wrapper() -> Any:
            return await coroutine

        return self.loop.run(wrapper(), timeout)


async def _hold_open(connection: ServerConnection) -> None:
    """Keep the connection open and ignore what the client sends."""
    async for _ in connection:
        pass


@contextmanager
def controlled_server(
    handler: Handler = _hold_open, **serve_options: Any
) -> Iterator[ControlledServer]:
    """Run a websockets server on a fresh loop thread; yield a handle to it."""
    loop = EventLoopThread(name="test-server-loop")
    state = ControlledServer(url="", loop=loop)

    async def start() -> Any:
        state.connected = asyncio.Queue()

        async def tracking(connection: ServerConnection) -> None:
            state.connections.append(connection)
            assert state.connected is not None
            state.connected.put_nowait(connection)
            await handler(connection)

        server = await serve(tracking, "127.0.0.1", 0, **serve_options)
        port = server.sockets[0].getsockname()[1]
        state.url = f"ws://127.0.0.1:{port}"
        return server

    server = loop.run(start())
    try:
        yield state
    finally:

        async def stop() -> None:
            server.close()
            await server.wait_closed()

        loop.run(stop(), timeout=10_000 * MS)
        loop.stop()
