# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps for crowds: many people at once, for the ``@load`` feature.

The crowd's size comes from ``-D load_clients=N`` (default 1,000), so one feature text
serves the everyday CI check and a bigger run by hand; the ordinary steps check each person.
"""

from behave import given
from behave.runner import Context

import wsharness.bdd.step_types  # noqa: F401


@given('a crowd has joined the group "{group}"')
def step_crowd_joined(context: Context, group: str) -> None:
    """Connect the crowd and have every one of them join the group."""
    context.cast.gather_crowd(group, context.config.userdata)
