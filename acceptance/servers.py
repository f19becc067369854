# mypy: disable-error-code="untyped-decorator"
# (behave's fixture decorator carries no types; the fixtures are typed.)
"""Which server the suite talks to: the project's own, or one given by URL.

By default the suite starts ``python -m server --port 0`` as a child process: a
real server process on a real socket, with its own interpreter (so thousands of
test clients and the server do not share one GIL), its log lines on stderr,
and a clean stop with SIGTERM. With ``-D server_url=ws://...`` or the
``WS_SERVER_URL`` environment variable, the suite uses that server and starts
none, which is how a CI acceptance stage checks a deployed build.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from behave.fixture import fixture
from behave.runner import Context

from wsharness import HarnessError, ServerProcess
from wsharness.bdd.setup import ServerUnavailable, SuiteServer, urls_given

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@fixture
def chat_servers(context: Context) -> Iterator[SuiteServer]:
    """The servers named by URL, or else the chat server started for the run."""
    urls = urls_given(context.config.userdata)
    if urls:
        yield SuiteServer(urls)
        return
    process = ServerProcess(
        [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", "0"],
        cwd=str(PROJECT_ROOT),
    )
    try:
        url = process.start()
    except HarnessError as exc:
        raise ServerUnavailable(f"the chat server did not start: {exc}") from None
    try:
        yield SuiteServer([url], [process])
    finally:
        process.stop()
