# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps for the echo requests, ECHO and ECHO_TIMES_3, also in a burst that a server
holds back beyond its rate (``--max-rate``)."""

from behave import then, when
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


@when("{name:Name} asks for {count:d} echoes in one burst")
def step_burst_of_echoes(context: Context, name: str, count: int) -> None:
    """One pipelined burst of echo requests, as a client in a loop sends them."""
    context.cast.burst_of_echoes(name, count)


@then('{name:Name} hears the first {allowed:d} echoes, then "{reason}" for most of the rest')
def step_hears_the_burst_held_back(context: Context, name: str, allowed: int, reason: str) -> None:
    """The first ``allowed`` are answered; the rest, but for the few the allowance
    refilled while the burst arrived, are refused with ``reason``."""
    context.cast.take_held_back(name, allowed, reason)
