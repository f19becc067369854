"""Which server the suite talks to: the project's own, or one given by URL.

By default the suite starts ``python -m server --port 0`` as a child process: a
real server process on a real socket, with its own interpreter (so thousands of
test clients and the server do not share one GIL), its log lines on stderr,
and a clean stop with SIGTERM. With ``-D server_url=ws://...`` or the
``WS_SERVER_URL`` environment variable, the suite uses that server and starts
none, which is how a CI acceptance stage checks a deployed build.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from wsharness import HarnessError, ServerProcess, TestWebSocket

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_SERVER_URL = "WS_SERVER_URL"


class ServerUnavailable(HarnessError):
    """The server could not be started or reached; the message is one line."""


@dataclass
class SuiteServer:
    """The server under test and, when the suite started it, its process."""

    url: str
    process: ServerProcess | None = None

    def log_mark(self) -> int:
        return self.process.log_mark() if self.process else 0

    def log_lines(self, since: int) -> list[str]:
        return self.process.log_lines(since) if self.process else []

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


def external_url(userdata_url: str | None) -> str | None:
    """The URL the user asked for, from ``-D server_url`` or the environment."""
    return (userdata_url or os.environ.get(ENV_SERVER_URL) or "").strip() or None


def start_server(userdata_url: str | None) -> SuiteServer:
    """Start the embedded server, or check the external one; raise ServerUnavailable."""
    url = external_url(userdata_url)
    if url is not None:
        server = SuiteServer(url)
    else:
        process = ServerProcess(
            [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", "0"],
            cwd=str(PROJECT_ROOT),
        )
        try:
            server = SuiteServer(process.start(), process)
        except HarnessError as exc:
            raise ServerUnavailable(f"the chat server did not start: {exc}") from None
    try:
        check_reachable(server.url)
    except HarnessError:
        server.stop()
        raise
    return server


def check_reachable(url: str) -> None:
    """Open and close one connection, so a dead server fails the run once, early."""
    try:
        with TestWebSocket(url, name="the server check") as probe:
            probe.wait_until("open")
    except ValueError as exc:
        raise ServerUnavailable(f"cannot test {url!r}: {exc}") from None
    except HarnessError as exc:
        raise ServerUnavailable(f"cannot reach the server under test: {exc}") from None
