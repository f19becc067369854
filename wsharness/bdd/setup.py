# mypy: disable-error-code="untyped-decorator"
# (behave's fixture decorator carries no types; the fixtures are typed.)
"""What a suite tests: which servers, which protocol adapter, which cast.

:func:`configure`, called at the top of a project's ``environment.py``, tells
the library's hooks (:mod:`wsharness.bdd.environment`) what they cannot know:

* ``adapter``: the protocol's :class:`~wsharness.bdd.ProtocolAdapter`;
* ``cast``: a :class:`~wsharness.bdd.Cast` subclass with the project's own
  bookkeeping, if it has any;
* ``servers``: a behave fixture that yields the :class:`SuiteServer` under
  test, for a project that starts its own server when no URL is given.

By default the suite tests the server(s) at ``-D server_url=URL`` or
``-D server_urls=URL,URL,...`` (or ``WS_SERVER_URL`` / ``WS_SERVER_URLS``) and
stops with one line when there is none.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from behave.fixture import fixture
from behave.runner import Context

from wsharness import HarnessError, ServerProcess, TestWebSocket
from wsharness.bdd.adapter import ProtocolAdapter
from wsharness.bdd.cast import Cast
from wsharness.bdd.options import ConnectionOptions

ENV_SERVER_URL = "WS_SERVER_URL"
ENV_SERVER_URLS = "WS_SERVER_URLS"


class ServerUnavailable(HarnessError):
    """The server under test could not be started or reached; the message is one line."""


@dataclass
class SuiteServer:
    """The server(s) under test and, for those the suite started, their processes."""

    urls: list[str]
    processes: list[ServerProcess] = field(default_factory=list)
    """Processes the suite started, in the order of ``urls``; their logs go into
    the diagnostics of a failing scenario."""

    @property
    def url(self) -> str:
        return self.urls[0]

    def stop(self) -> list[int | None]:
        """Stop every server the suite started; return their exit codes."""
        return [process.stop() for process in self.processes]

    def log_marks(self) -> list[int]:
        """Positions in every log; pass them to :meth:`log_lines` to see later lines."""
        return [process.log_mark() for process in self.processes]

    def log_lines(self, marks: Sequence[int]) -> list[str]:
        """Every server's log lines since ``marks``, each prefixed with its node
        when there are several."""
        lines: list[str] = []
        for number, (process, mark) in enumerate(zip(self.processes, marks, strict=False)):
            prefix = f"[node {number + 1}] " if len(self.processes) > 1 else ""
            lines.extend(f"{prefix}{line}" for line in process.log_lines(mark))
        return lines


ServersFixture = Callable[[Context], Iterator[SuiteServer]]


def urls_given(userdata: Mapping[str, str], environ: Mapping[str, str] | None = None) -> list[str]:
    """The URLs from ``server_urls``/``server_url`` in userdata, else the environment."""
    environ = os.environ if environ is None else environ
    text = (
        userdata.get("server_urls")
        or userdata.get("server_url")
        or environ.get(ENV_SERVER_URLS)
        or environ.get(ENV_SERVER_URL)
        or ""
    )
    return [url.strip() for url in text.split(",") if url.strip()]


@fixture
def servers_given(context: Context) -> Iterator[SuiteServer]:
    """The servers named by URL; the library starts none."""
    urls = urls_given(context.config.userdata)
    if not urls:
        raise ServerUnavailable(
            f"no server to test: pass -D server_url=ws://HOST:PORT (or set {ENV_SERVER_URL})"
        )
    yield SuiteServer(urls)


@dataclass
class Setup:
    adapter: ProtocolAdapter = field(default_factory=ProtocolAdapter)
    cast: type[Cast] = Cast
    servers: ServersFixture = servers_given


_setup = Setup()


def configure(
    *,
    adapter: ProtocolAdapter | None = None,
    cast: type[Cast] | None = None,
    servers: ServersFixture | None = None,
) -> None:
    """Tell the library's hooks about the project; arguments left out keep their value."""
    if adapter is not None:
        _setup.adapter = adapter
    if cast is not None:
        _setup.cast = cast
    if servers is not None:
        _setup.servers = servers


def current() -> Setup:
    """What :func:`configure` was told."""
    return _setup


def check_reachable(url: str, options: ConnectionOptions) -> None:
    """Open and close one connection with the run's options, so a dead or
    misconfigured server fails the run once, early, in one line."""
    try:
        with TestWebSocket(url, name="the server check", **options.connect_arguments(url)) as probe:
            probe.wait_until("open")
    except ValueError as exc:
        raise ServerUnavailable(f"cannot test {url!r}: {exc}") from None
    except HarnessError as exc:
        raise ServerUnavailable(f"cannot reach the server under test: {exc}") from None
