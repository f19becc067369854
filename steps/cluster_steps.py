# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps about a chat that runs on several nodes, for ``features/cluster.feature``: taking
nodes and the broker down, and racing across nodes (a person's node is the library's step)."""

from behave import then, when
from behave.runner import Context

import wsharness.bdd.step_types  # noqa: F401


@when('{names:Names} create the group "{group}" at the same moment')
def step_create_at_once(context: Context, names: list[str], group: str) -> None:
    """Everyone named asks for the same new group before anyone hears back."""
    context.cast.create_at_once(names, group)


@then('only one of {names:Names} is told the group "{group}" was created')
def step_only_one_creator(context: Context, names: list[str], group: str) -> None:
    """One of them gets the group; each other one is told it is unavailable."""
    context.cast.only_one_creator(names, group)


@when("the {ordinal:w} node goes down")
def step_node_goes_down(context: Context, ordinal: str) -> None:
    """The node dies without a word (SIGKILL), as if its machine were gone."""
    context.cast.node_goes_down(context.server, ordinal)


@when("the broker restarts")
def step_broker_restarts(context: Context) -> None:
    """Redis restarts, empty; the step ends once every node is back with it."""
    context.cast.broker_restarts(context.server)
