# mypy: disable-error-code="untyped-decorator"
# (behave's fixture decorator carries no types; the fixture is typed.)
"""Which server the suite talks to: behave's fixtures over :func:`acceptance.testbed.start`.

By default the suite starts the chat server for the run; with ``-D nodes=N`` (or
``WS_NODES``), a cluster of N nodes on a Redis of its own; a ``@secured`` feature gets
a secured server of its own, a ``@rate-limited`` one a server started with
``--max-rate``. When the run's target names a server (``-D server_url=ws://...``,
``WS_SERVER_URL`` and the rest of :mod:`wsharness.bdd.target`), the suite uses it and
starts nothing, ever, which is how a CI acceptance stage checks a deployed build.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator, Mapping

from behave.fixture import fixture
from behave.runner import Context

from acceptance import testbed
from wsharness import HarnessError
from wsharness.bdd.health import ServerUnavailable, check_reachable
from wsharness.bdd.registry import Setting, SettingError
from wsharness.bdd.setup import SuiteServer
from wsharness.bdd.target import Target

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
    # -D node_module= and -D node_options= run other nodes, such as a broken one of the tests.
    options = shlex.split(userdata.get("node_options", "")) if nodes else []
    try:
        server = testbed.start(
            *options,
            nodes=nodes,
            node_timeout=SUITE_NODE_TIMEOUT if nodes else None,
            module=userdata.get("node_module", "server") if nodes else "server",
        )
    except HarnessError as exc:
        raise ServerUnavailable(str(exc) if nodes else f"the server did not start: {exc}") from None
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
    try:
        server = testbed.start(*SECURED_OPTIONS, secured=True)
    except RuntimeError as exc:  # no trustme
        raise ServerUnavailable(str(exc)) from None
    target = Target(
        options=server.connection_options(origin=SECURED_ORIGIN),
        token_given_as="the secured server's token file",
    ).started(server.urls)
    try:
        check_reachable(server.url, target.options)
    except HarnessError:
        server.stop()
        raise
    context.server = server
    context.target = target
    yield server
    server.stop()


MAX_RATE = 20
"""Requests a second the ``@rate-limited`` feature's server answers from one connection."""


@fixture
def rate_limited_chat_server(context: Context) -> Iterator[SuiteServer]:
    """``python -m server --max-rate 20`` for a ``@rate-limited`` feature, so that the
    refusal of requests over the rate, which a deployment's own limit would make a
    matter of luck, is specified by a scenario; sets ``context.server`` and
    ``context.target`` for it, and stops the server after it."""
    server = testbed.start("--max-rate", str(MAX_RATE))
    context.server = server
    context.target = Target().started(server.urls)
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
