# mypy: disable-error-code="untyped-decorator"
# (behave's fixture decorator carries no types; the fixture is typed.)
"""Which server the suite talks to, and the one way to start the project's chat server.

By default the suite starts the chat server, ``python -m server``, as a child
process with :func:`start_chat_server`: a real server process on a real socket,
with its own interpreter (so thousands of test clients and the server do not share
one GIL), its log lines on stderr, a clean stop with SIGTERM, and no way to outlive
the run that started it. Everything that starts the chat server (behave's hooks,
the acceptance stage, the tools, the tests, the benchmarks) starts it here. When the
run's target names a server (``-D server_url=ws://...``, ``WS_SERVER_URL`` and the
rest of :mod:`wsharness.bdd.target`), the suite uses it and starts nothing, ever,
which is how a CI acceptance stage checks a deployed build.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from behave.fixture import fixture
from behave.runner import Context

from acceptance.chat_command import PROJECT_ROOT as PROJECT_ROOT
from acceptance.chat_command import chat_server_command
from acceptance.credentials import Credentials
from acceptance.local_cluster import LocalCluster
from wsharness import HarnessError, ServerProcess
from wsharness.bdd.health import ServerUnavailable, check_reachable
from wsharness.bdd.options import ConnectionOptions
from wsharness.bdd.registry import Setting, SettingError
from wsharness.bdd.setup import SuiteServer
from wsharness.bdd.target import Target

STARTUP_TIMEOUT = 10.0
"""Seconds a server may take to print its URL."""


def start_chat_server(
    *server_options: str,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = STARTUP_TIMEOUT,
    command_prefix: Sequence[str] = (),
) -> ServerProcess:
    """Start ``python -m server`` on a free loopback port; return it once it has printed
    its URL (``.url``). Raises :class:`wsharness.ServerStartFailed` if it does not.

    ``server_options`` go after the defaults (``--host 127.0.0.1 --port 0``), so they
    can override them: ``start_chat_server("--max-connections", "2")``.
    ``command_prefix`` runs the server through another command, such as
    ``["taskset", "-c", "0"]``. The server stops at the end of its stdin, which the
    returned :class:`~wsharness.ServerProcess` holds open, so it goes away with
    this process however this process ends. Stop it with ``stop()`` or use it
    in a ``with`` block.
    """
    argv = chat_server_command(*server_options, command_prefix=command_prefix)
    process = ServerProcess(argv, startup_timeout=startup_timeout, env=env, cwd=str(PROJECT_ROOT))
    process.start()
    return process


ENV_NODES = "WS_NODES"

CHAT_SETTINGS = (
    Setting("nodes", ENV_NODES, "start a cluster of this many nodes on a Redis of its own"),
    Setting("node_module", None, "run the cluster's nodes from this module (tests' broken nodes)"),
    Setting("node_options", None, "more command-line options for the cluster's nodes"),
    Setting("load_clients", None, "how many people the @load feature connects"),
)
"""The chat suite's own settings, besides the library's (see :mod:`wsharness.bdd.registry`)."""

SUITE_NODE_TIMEOUT = 1.0
"""``--node-timeout`` of the nodes the suite starts: a node that goes down in a
scenario stops counting within 1.33 s, well inside a step's wait."""


@dataclass
class ChatCluster(SuiteServer):
    """A cluster the suite started itself: nodes it can take down, a broker it can restart."""

    cluster: LocalCluster | None = None
    nodes_down: set[int] = field(default_factory=set)

    def take_node_down(self, index: int) -> None:
        """SIGKILL node ``index``, as if its machine were gone."""
        assert self.cluster is not None
        self.cluster.kill_node(index)
        self.nodes_down.add(index)

    def bring_nodes_back(self) -> None:
        """Start every node taken down again, on its old address, for the next scenario."""
        assert self.cluster is not None
        for index in sorted(self.nodes_down):
            self.cluster.restart_node(index)
            check_reachable(self.urls[index], ConnectionOptions())
        self.nodes_down.clear()

    def restart_broker(self) -> None:
        """Restart Redis on the same port, empty, as after a crash."""
        assert self.cluster is not None
        self.cluster.redis.restart()

    def stop(self) -> list[int | None]:
        return self.cluster.stop() if self.cluster is not None else []


@fixture
def chat_servers(context: Context) -> Iterator[SuiteServer]:
    """behave's server fixture (see :func:`wsharness.bdd.configure`): the servers the
    run's target names (``context.target``); else, with ``-D nodes=N`` (or
    ``WS_NODES``), a cluster of N nodes on a ``redis-server`` started for the run; else
    the chat server started for the run. Whatever was started is stopped after the
    run. Settings for a cluster of the suite's own beside a target contradict it."""
    userdata = context.config.userdata
    nodes = nodes_wanted(userdata)
    if context.target.configured:
        own = [name for name in ("nodes", "node_module", "node_options") if userdata.get(name)]
        if nodes and "nodes" not in own:
            own.insert(0, "WS_NODES")
        if own:
            raise SettingError(
                f"{', '.join(own)} would start a cluster here, but the target names "
                "the servers to test: give one or the other"
            )
        yield SuiteServer(list(context.target.urls))
        return
    # The library's hooks check that every server accepts a connection.
    server = cluster_for_the_run(nodes, userdata) if nodes else started_server()
    # behave runs the code after ``yield`` at the end, failed or not. No ``finally``:
    # a run that dies without its clean-up must not wait on its dying event loop.
    yield server
    server.stop()


SECURED_ORIGIN = "https://chat.example"
"""The one site whose pages the secured server lets in (features/security.feature)."""

SECURED_OPTIONS = (
    "--allowed-origin",
    SECURED_ORIGIN,
    "--max-message-size",
    "16384",
    "--max-queued-bytes",
    "1048576",
)
"""The secured server's limits besides TLS and tokens: one allowed site, and a small
outgoing queue, so that a member who stops reading is cut off after little data."""


@fixture
def secured_chat_server(context: Context) -> Iterator[SuiteServer]:
    """A chat server of its own for a feature, as a deployment on the open internet
    runs it: wss:// with a throwaway certificate, a token file, one allowed origin, a
    small outgoing queue. Sets ``context.server`` and ``context.target`` for the
    feature (everyone trusts the CA, presents the token and comes from the allowed
    site, and those are the promises the feature checks) and stops the server
    after it."""
    with tempfile.TemporaryDirectory(prefix="secured-") as folder:
        try:
            credentials = Credentials.create(Path(folder))
        except RuntimeError as exc:
            raise ServerUnavailable(str(exc)) from None
        options = ["--auth-token-file", str(credentials.token_file), *credentials.tls_options()]
        process = start_chat_server(*options, *SECURED_OPTIONS)
        assert process.url is not None
        server = SuiteServer([process.url], [process])
        target = Target(
            options=ConnectionOptions(
                ca_file=str(credentials.ca_file),
                auth_token=credentials.token,
                origin=SECURED_ORIGIN,
            ),
            token_given_as="the secured server's token file",
        ).started([process.url])
        try:
            check_reachable(process.url, target.options)
        except HarnessError:
            server.stop()
            raise
        context.server = server
        context.target = target
        yield server
        server.stop()


def nodes_wanted(userdata: Mapping[str, str], environ: Mapping[str, str] | None = None) -> int:
    """``-D nodes=N`` or ``WS_NODES``: how many cluster nodes to start (0: none)."""
    environ = os.environ if environ is None else environ
    text = (userdata.get("nodes") or environ.get(ENV_NODES) or "").strip()
    if not text:
        return 0
    if not text.isdigit() or int(text) < 1:
        raise SettingError(f"nodes must be a whole number of 1 or more, not {text!r}")
    return int(text)


def cluster_for_the_run(nodes: int, userdata: Mapping[str, str]) -> ChatCluster:
    """A ``redis-server`` and ``nodes`` chat-server nodes on this machine.
    ``-D node_module=`` and ``-D node_options=`` run other nodes, such as a
    deliberately broken one from the tests."""
    cluster = LocalCluster(
        nodes,
        node_timeout=SUITE_NODE_TIMEOUT,
        module=userdata.get("node_module", "server"),
        options=shlex.split(userdata.get("node_options", "")),
    )
    try:
        cluster.start()
    except HarnessError as exc:
        raise ServerUnavailable(str(exc)) from None
    # The cluster's own list of nodes, which restart_node updates in place, so the
    # processes whose logs a failing scenario shows are always the running ones.
    return ChatCluster(cluster.urls, cluster.nodes, cluster=cluster)


def started_server(
    server_command: Sequence[str] | None = None, *, startup_timeout: float = STARTUP_TIMEOUT
) -> SuiteServer:
    """The chat server, or ``server_command`` (which must print its ``ws://`` URL
    first), started for the run; :class:`ServerUnavailable` if it does not start."""
    try:
        if server_command is None:
            process = start_chat_server(startup_timeout=startup_timeout)
        else:
            process = ServerProcess(
                server_command, startup_timeout=startup_timeout, cwd=str(PROJECT_ROOT)
            )
            process.start()
    except HarnessError as exc:
        raise ServerUnavailable(f"the server did not start: {exc}") from None
    assert process.url is not None
    return SuiteServer([process.url], [process])
