"""behave hooks: the step library's, told about the chat server.

The hooks themselves are :mod:`wsharness.bdd.environment`'s (the server check,
a fresh cast per scenario, transcripts on failure, Ctrl-C). This project adds
what only it knows: the chat protocol's adapter (its echo round trip and
unique group names), the cast that keeps track of groups, the chat server (or
cluster, with ``-D nodes=N``) that the suite starts when no URL is given
(:mod:`acceptance.servers`), and which scenarios need a cluster:

* ``@cluster`` runs only when the suite has several servers, and is skipped,
  saying so, otherwise;
* ``@disruptive`` (taking a node or the broker down) runs only on a cluster the
  suite started itself;
* a ``@secured`` feature gets a server of its own, started the way a deployment on
  the open internet runs (TLS, tokens, one allowed site, a small outgoing queue),
  when the suite starts its own server; against a deployment it is skipped.
"""

import importlib.util
import sys

from behave.fixture import use_fixture
from behave.model import Feature, Scenario
from behave.runner import Context

from acceptance.cast import ChatCast
from acceptance.chat import ChatAdapter
from acceptance.servers import ChatCluster, chat_servers, secured_chat_server
from wsharness.bdd import configure
from wsharness.bdd import environment as library
from wsharness.bdd.environment import after_all, after_step, before_all

configure(adapter=ChatAdapter(), cast=ChatCast, servers=chat_servers)

__all__ = [
    "after_all",
    "after_scenario",
    "after_step",
    "before_all",
    "before_feature",
    "before_scenario",
]

NEEDS_A_CLUSTER = "needs a cluster: run with -D nodes=3, or -D server_urls=ws://A,ws://B,ws://C"
NEEDS_TRUSTME = "makes a throwaway certificate with trustme: pip install -r requirements-dev.txt"
NEEDS_OWN_SERVER = "starts a secured server of its own: runs only when the suite starts its server"
NEEDS_OWN_CLUSTER = (
    "takes a node or the broker down: runs only on a cluster started with -D nodes=N"
)


def before_feature(context: Context, feature: Feature) -> None:
    library.before_feature(context, feature)
    if "secured" not in feature.tags:
        return
    started_here = bool(context.server.processes) and len(context.server.urls) == 1
    if not started_here or isinstance(context.server, ChatCluster):
        _skip(feature, NEEDS_OWN_SERVER)
        return
    if importlib.util.find_spec("trustme") is None:
        _skip(feature, NEEDS_TRUSTME)
        return
    use_fixture(secured_chat_server, context)


def before_scenario(context: Context, scenario: Scenario) -> None:
    tags = set(scenario.effective_tags)
    if "cluster" in tags and len(context.server.urls) < 2:
        _skip(scenario, NEEDS_A_CLUSTER)
        return
    if "disruptive" in tags and not isinstance(context.server, ChatCluster):
        _skip(scenario, NEEDS_OWN_CLUSTER)
        return
    library.before_scenario(context, scenario)


def after_scenario(context: Context, scenario: Scenario) -> None:
    """A node a scenario took down comes back before the next scenario starts."""
    if isinstance(context.server, ChatCluster):
        context.server.bring_nodes_back()


_skips_said: set[str] = set()


def _skip(model: Feature | Scenario, reason: str) -> None:
    """Skip a feature or scenario; say why once per run, since behave's formatters do not."""
    model.skip(reason)
    if reason not in _skips_said:
        _skips_said.add(reason)
        # On a line of its own: the formatter may be mid-line on stdout (a feature's
        # description, a row of progress dots) when the reason reaches stderr.
        print(f"\nskipped: {model.location.filename}: {reason}", file=sys.__stderr__)
