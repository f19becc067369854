# mypy: disable-error-code="untyped-decorator"
# (behave's fixture decorator carries no types; the fixtures are typed.)
"""behave hooks: the step library's (:mod:`wsharness.bdd.environment`), told about the chat.

This project adds what only it knows: the chat's adapter, cast, health check, settings
and contract (``docs/asyncapi.yaml``, against which every frame is checked); the
servers the suite starts when no target is named (the chat server, or with ``-D
nodes=N`` a cluster on a Redis of its own), stopped after the run; and which scenarios
need what, each skipped, saying so, where it cannot run:

* ``@cluster`` runs on several servers; ``@disruptive`` (taking a node or the broker
  down) only on a cluster the suite started itself;
* a ``@secured`` feature gets a server of its own, run as on the open internet (TLS,
  tokens, one allowed site, a small outgoing queue), when the suite starts one server;
  against a target it checks the promises the target declares, on every node, and its
  ``@own-server`` scenarios (floods, slow readers) do not run;
* a ``@rate-limited`` feature gets a server of its own started with ``--max-rate``
  when the suite starts one server.
"""

import importlib.util
import os
import shlex
from collections.abc import Iterator, Mapping

from behave.fixture import fixture, use_fixture
from behave.model import Feature, Scenario
from behave.runner import Context

from acceptance import testbed
from acceptance.chat import CHAT_SETTINGS, ENV_NODES, HEALTH_CHECK, ChatAdapter, ChatCast
from acceptance.testbed import PROJECT_ROOT, Bed
from wsharness import HarnessError
from wsharness.bdd import configure
from wsharness.bdd import environment as library
from wsharness.bdd.environment import after_all as after_all
from wsharness.bdd.environment import after_step as after_step
from wsharness.bdd.environment import before_all as before_all
from wsharness.bdd.environment import before_step as before_step
from wsharness.bdd.environment import hook, skip
from wsharness.bdd.health import ServerUnavailable, check_reachable
from wsharness.bdd.registry import SettingError
from wsharness.bdd.setup import SuiteServer
from wsharness.bdd.target import Target

SUITE_NODE_TIMEOUT = 1.0
"""``--node-timeout`` of the suite's nodes: one that goes down in a scenario stops
counting within 1.33 s, well inside a step's wait."""

SECURED_ORIGIN = "https://chat.example"
"""The one site whose pages the secured server lets in (features/security.feature)."""

SECURED_LIMITS = ("--max-message-size", "16384", "--max-queued-bytes", "1048576")
"""The secured server's limits: a small outgoing queue, so that a member who stops
reading is cut off after little data."""

MAX_RATE = 20
"""Requests a second the ``@rate-limited`` feature's server answers from one connection."""

NEEDS_A_CLUSTER = "needs a cluster: run with -D nodes=3, or -D server_urls=ws://A,ws://B,ws://C"
NEEDS_TRUSTME = "makes a throwaway certificate with trustme: pip install -r requirements-dev.txt"
NEEDS_OWN_SERVER = (
    "needs the secured server the suite starts for this feature (it floods it, or "
    "stops reading from it): runs only when no target is given"
)
NEEDS_A_SINGLE_SERVER = (
    "starts a secured server of its own: runs against a target, or when the suite "
    "starts one server, not a cluster of its own"
)
NEEDS_OWN_RATE_LIMIT = (
    "starts a server of its own with --max-rate: runs only when no target is given"
)
NEEDS_OWN_CLUSTER = (
    "takes a node or the broker down: runs only on a cluster started with -D nodes=N"
)


@fixture
def chat_servers(context: Context) -> Iterator[SuiteServer]:
    """The servers the run's target names; else the suite's own (a cluster with ``-D
    nodes=N``), stopped after the run. Cluster settings beside a target contradict it."""
    userdata = context.config.userdata
    nodes = nodes_wanted(userdata)
    if context.target.configured:
        own = [name for name in ("nodes", "node_module", "node_options") if userdata.get(name)]
        if nodes and "nodes" not in own:
            own.insert(0, ENV_NODES)
        if own:
            raise SettingError(
                f"{', '.join(own)} would start a cluster here, but the target names "
                "the servers to test: give one or the other"
            )
        yield SuiteServer(list(context.target.urls))
        return
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


@fixture
def secured_chat_server(context: Context) -> Iterator[SuiteServer]:
    """The ``@secured`` feature's server (wss://, a token file, one site, small limits)
    and its target: everyone trusts its CA, presents its token and comes from its site."""
    try:
        server = testbed.start("--allowed-origin", SECURED_ORIGIN, *SECURED_LIMITS, secured=True)
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


@fixture
def rate_limited_chat_server(context: Context) -> Iterator[SuiteServer]:
    """``python -m server --max-rate 20`` for the ``@rate-limited`` feature, whose
    refusals a deployment's own limit would make a matter of luck."""
    server = testbed.start("--max-rate", str(MAX_RATE))
    context.server = server
    context.target = Target().started(server.urls)
    yield server
    server.stop()


def nodes_wanted(userdata: Mapping[str, str]) -> int:
    """``-D nodes=N`` or ``WS_NODES``: how many cluster nodes to start (0: none)."""
    text = (userdata.get("nodes") or os.environ.get(ENV_NODES) or "").strip()
    if not text:
        return 0
    if not text.isdigit() or int(text) < 1:
        raise SettingError(f"nodes must be a whole number of 1 or more, not {text!r}")
    return int(text)


configure(
    adapter=ChatAdapter(),
    cast=ChatCast,
    servers=chat_servers,
    health_check=HEALTH_CHECK,
    settings=CHAT_SETTINGS,
    contract=PROJECT_ROOT / "docs" / "asyncapi.yaml",
)


@hook
def before_feature(context: Context, feature: Feature) -> None:
    library.before_feature(context, feature)
    if "rate-limited" in feature.tags:
        _rate_limited(context, feature)
    if "secured" not in feature.tags or not _started_here(context):
        return  # against a target, the feature checks the target's own promises
    if _own_cluster(context):
        skip(feature, NEEDS_A_SINGLE_SERVER)
        return
    if importlib.util.find_spec("trustme") is None:
        skip(feature, NEEDS_TRUSTME)
        return
    use_fixture(secured_chat_server, context)


def _rate_limited(context: Context, feature: Feature) -> None:
    """The ``@rate-limited`` feature's own server, or why it is skipped."""
    if not _started_here(context):
        skip(feature, NEEDS_OWN_RATE_LIMIT)
    elif _own_cluster(context):
        skip(feature, NEEDS_A_SINGLE_SERVER)
    else:
        use_fixture(rate_limited_chat_server, context)


@hook
def before_scenario(context: Context, scenario: Scenario) -> None:
    tags = set(scenario.effective_tags)
    if "cluster" in tags and len(context.server.urls) < 2:
        skip(scenario, NEEDS_A_CLUSTER)
        return
    if "disruptive" in tags and not _own_cluster(context):
        skip(scenario, NEEDS_OWN_CLUSTER)
        return
    if "own-server" in tags and not _started_here(context):
        skip(scenario, NEEDS_OWN_SERVER)
        return
    library.before_scenario(context, scenario)


@hook
def after_scenario(context: Context, scenario: Scenario) -> None:
    """The library draws the scenario's conversation; a node the scenario took down
    comes back before the next scenario (not when the run is stopping)."""
    library.after_scenario(context, scenario)
    if _own_cluster(context) and not context.aborted:
        context.server.bring_nodes_back()


def _own_cluster(context: Context) -> bool:
    """Whether the servers under test are a cluster the suite started (with a Redis of its own)."""
    return isinstance(context.server, Bed) and context.server.redis is not None


def _started_here(context: Context) -> bool:
    """Whether the servers under test are the suite's own."""
    return bool(context.target.started_by_the_suite)
