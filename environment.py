"""behave hooks: the step library's, told about the chat server.

The hooks themselves are :mod:`wsharness.bdd.environment`'s (the settings and the
target, the server check and the watch, a fresh cast per scenario, transcripts on
failure, Ctrl-C). This project adds what only it knows: the chat protocol's adapter
(its echo round trip and unique group names), the cast that keeps track of groups,
the chat's health check (``GET /healthz``), its own settings, its contract
(``docs/asyncapi.yaml``, against which every frame is checked), the chat server (or
cluster, with ``-D nodes=N``) that the suite starts when no target is given
(:mod:`acceptance.servers`), and which scenarios need what:

* ``@cluster`` runs only when the suite has several servers, and is skipped,
  saying so, otherwise;
* ``@disruptive`` (taking a node or the broker down) runs only on a cluster the
  suite started itself;
* a ``@secured`` feature gets a server of its own, started the way a deployment on
  the open internet runs (TLS, tokens, one allowed site, a small outgoing queue),
  when the suite starts its own server; against a target it checks the promises
  the target declares, on every node, and its ``@own-server`` scenarios (floods,
  slow readers), which need that server of its own, are skipped, saying so;
* a ``@rate-limited`` feature gets a server of its own started with ``--max-rate``
  (:func:`acceptance.servers.rate_limited_chat_server`) when the suite starts one
  server, and is skipped, saying so, otherwise.
"""

import importlib.util

from behave.fixture import use_fixture
from behave.model import Feature, Scenario
from behave.runner import Context

from acceptance.chat import HEALTH_CHECK, ChatAdapter, ChatCast
from acceptance.servers import (
    CHAT_SETTINGS,
    chat_servers,
    rate_limited_chat_server,
    secured_chat_server,
)
from acceptance.testbed import PROJECT_ROOT, Bed
from wsharness.bdd import configure
from wsharness.bdd import environment as library
from wsharness.bdd.environment import after_all as after_all
from wsharness.bdd.environment import after_step as after_step
from wsharness.bdd.environment import before_all as before_all
from wsharness.bdd.environment import before_step as before_step
from wsharness.bdd.environment import hook, skip

configure(
    adapter=ChatAdapter(),
    cast=ChatCast,
    servers=chat_servers,
    health_check=HEALTH_CHECK,
    settings=CHAT_SETTINGS,
    contract=PROJECT_ROOT / "docs" / "asyncapi.yaml",
)

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
    """A ``@rate-limited`` feature gets a server of its own started with ``--max-rate``
    when the suite starts its own single server, and is skipped otherwise."""
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
    comes back before the next scenario starts (none does when the run is stopping:
    the cluster is about to stop)."""
    library.after_scenario(context, scenario)
    if _own_cluster(context) and not context.aborted:
        context.server.bring_nodes_back()


def _own_cluster(context: Context) -> bool:
    """Whether the servers under test are a cluster the suite started (with a Redis of its own)."""
    return isinstance(context.server, Bed) and context.server.redis is not None


def _started_here(context: Context) -> bool:
    """Whether the servers under test are the suite's own."""
    return bool(context.target.started_by_the_suite)
