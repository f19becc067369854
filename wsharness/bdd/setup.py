# mypy: disable-error-code="untyped-decorator"
# (behave's fixture decorator carries no types; the fixtures are typed.)
"""What a suite tests: which servers, which protocol adapter, which cast, which health check.

:func:`configure`, called at the top of a project's ``environment.py``, tells
the library's hooks (:mod:`wsharness.bdd.environment`) what they cannot know:

* ``adapter``: the protocol's :class:`~wsharness.bdd.ProtocolAdapter`;
* ``cast``: a :class:`~wsharness.bdd.Cast` subclass with the project's own
  bookkeeping, if it has any;
* ``servers``: a behave fixture that yields the :class:`SuiteServer` under
  test, for a project that starts its own server when no target is configured;
* ``health_check``: how to ask a server whether it is healthy
  (:class:`~wsharness.bdd.health.HttpHealthCheck`), checked before the run, watched
  during it, and promised to answer without a token; by default there is none,
  and servers are only checked for reachability;
* ``settings``: the project's own ``-D`` settings
  (:class:`~wsharness.bdd.registry.Setting`), so that they are known, not guessed;
* ``contract``: the protocol's AsyncAPI 3 document, against which every frame is
  checked unless ``-D contract`` names another or ``off`` (:mod:`wsharness.bdd.contract`).

By default the suite tests the target the settings describe
(:class:`~wsharness.bdd.target.Target`: ``-D server_url=URL`` or
``-D server_urls=URL,URL,...``, or ``WS_SERVER_URL`` / ``WS_SERVER_URLS``) and
stops with one line when there is none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from behave.fixture import fixture
from behave.runner import Context

from wsharness import ServerProcess
from wsharness.bdd import registry
from wsharness.bdd.adapter import ProtocolAdapter
from wsharness.bdd.cast import Cast
from wsharness.bdd.health import HealthCheck, ServerUnavailable
from wsharness.bdd.registry import Setting


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


@fixture
def servers_given(context: Context) -> Iterator[SuiteServer]:
    """The servers the target names (``context.target``); the library starts none."""
    if not context.target.configured:
        raise ServerUnavailable(
            "no server to test: pass -D server_url=ws://HOST:PORT (or set WS_SERVER_URL)"
        )
    yield SuiteServer(list(context.target.urls))


@dataclass
class Setup:
    adapter: ProtocolAdapter = field(default_factory=ProtocolAdapter)
    cast: type[Cast] = Cast
    servers: ServersFixture = servers_given
    health_check: HealthCheck | None = None
    contract: Path | None = None


_setup = Setup()


def configure(
    *,
    adapter: ProtocolAdapter | None = None,
    cast: type[Cast] | None = None,
    servers: ServersFixture | None = None,
    health_check: HealthCheck | None = None,
    settings: Iterable[Setting] = (),
    contract: Path | str | None = None,
) -> None:
    """Tell the library's hooks about the project; arguments left out keep their value."""
    if adapter is not None:
        _setup.adapter = adapter
    if cast is not None:
        _setup.cast = cast
    if servers is not None:
        _setup.servers = servers
    if health_check is not None:
        _setup.health_check = health_check
    if contract is not None:
        _setup.contract = Path(contract)
    registry.register(settings)


def current() -> Setup:
    """What :func:`configure` was told."""
    return _setup
