# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps that connect and disconnect the named people of a scenario."""

from behave import given, when
from behave.runner import Context

import acceptance.step_types  # noqa: F401  (registers {name:Name} and {names:Names})


@given("{names:Names} is connected")
@given("{names:Names} are connected")
@when("{names:Names} connects")
@when("{names:Names} connect")
def step_connected(context: Context, names: list[str]) -> None:
    """Open a connection for each person and wait until every one is open."""
    context.cast.connect(names)


@when("{name:Name} disconnects")
def step_disconnects(context: Context, name: str) -> None:
    """Close the person's connection politely, with a closing handshake."""
    context.cast.disconnect(name)


@when("{name:Name} loses the connection")
def step_loses_connection(context: Context, name: str) -> None:
    """Cut the person's connection without a closing handshake, like a crash."""
    context.cast.disconnect(name, abruptly=True)
