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
  suite started itself.
"""

import sys

from behave.model import Scenario
from behave.runner import Context

from acceptance.cast import ChatCast
from acceptance.chat import ChatAdapter
from acceptance.servers import ChatCluster, chat_servers
from wsharness.bdd import configure
from wsharness.bdd import environment as library
from wsharness.bdd.environment import after_all, after_step, before_all, before_feature

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
NEEDS_OWN_CLUSTER = (
    "takes a node or the broker down: runs only on a cluster started with -D nodes=N"
)


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


def _skip(scenario: Scenario, reason: str) -> None:
    """Skip the scenario; say why once per run, since behave's formatters do not."""
    scenario.skip(reason)
    if reason not in _skips_said:
        _skips_said.add(reason)
        print(f"skipped: {scenario.location.filename}: {reason}", file=sys.__stderr__)
