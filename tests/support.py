"""Shared helpers for the pytest suite: small servers the tests control.

Each test server runs on its own event-loop thread, apart from the harness's
loop, so the test decides exactly what the server sends and when.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

from wsharness.loop import EventLoopThread

PROJECT_ROOT = Path(__file__).resolve().parent.parent

Handler = Callable[[ServerConnection], Awaitable[None]]


@dataclass
class ControlledServer:
    """A server whose connections the test can reach: ``connections`` in order."""

    url: str
    loop: EventLoopThread
    connections: list[ServerConnection] = field(default_factory=list)
    connected: asyncio.Queue[ServerConnection] | None = None

    def next_connection(self, timeout: float = 5) -> ServerConnection:
        """The next connection to be accepted, waiting for it if needed."""
        assert self.connected is not None
        queue = self.connected

        async def take() -> ServerConnection:
            return await asyncio.wait_for(queue.get(), timeout)

        return self.loop.run(take())

    def do(self, coroutine: Awaitable[Any], timeout: float = 5) -> Any:
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

        loop.run(stop(), timeout=10)
        loop.stop()


def run_python(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the project's Python with ``args`` from the project root; capture output."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class BehaveRun:
    """What a behave run printed and how each scenario ended."""

    returncode: int
    output: str
    statuses: dict[str, str]
    """Scenario name -> "passed", "failed", "skipped", ... from behave's JSON report."""

    def with_status(self, status: str) -> list[str]:
        return [name for name, value in self.statuses.items() if value == status]


def run_behave(*args: str, report_dir: Path, timeout: float = 300) -> BehaveRun:
    """Run behave in the project root with a JSON report; return its results."""
    report_dir.mkdir(parents=True, exist_ok=True)
    report = report_dir / f"behave-{len(list(report_dir.iterdir()))}.json"
    result = run_python(
        "-m",
        "behave",
        "--no-color",
        "-f",
        "json",
        "-o",
        str(report),
        "-f",
        "plain",
        *args,
        timeout=timeout,
    )
    statuses: dict[str, str] = {}
    if report.exists() and report.stat().st_size:
        for feature in json.loads(report.read_text()):
            for element in feature.get("elements", []):
                if element.get("type") == "scenario":
                    statuses[element["name"]] = element["status"]
    return BehaveRun(result.returncode, result.stdout + result.stderr, statuses)
