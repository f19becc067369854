# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps for the echo requests: ECHO and ECHO_TIMES_3."""

from behave import when
from behave.runner import Context

import wsharness.bdd.step_types  # noqa: F401


@when('{name:Name} asks for an echo of "{text}"')
def step_asks_for_echo(context: Context, name: str, text: str) -> None:
    """Ask the server to send the words back once."""
    context.cast.ask_for_echo(name, text)


@when('{name:Name} asks for a triple echo of "{text}"')
def step_asks_for_triple_echo(context: Context, name: str, text: str) -> None:
    """Ask the server to send the words back three times."""
    context.cast.ask_for_echo(name, text, times=3)
