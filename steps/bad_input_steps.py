# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps for what the chat server does with bad input and at its limits (raw frames
and close codes are the library's steps, ``steps/library_steps.py``)."""

from behave import then, when
from behave.runner import Context

import wsharness.bdd.step_types  # noqa: F401


@when("{name:Name} sends JSON nested {depth:d} levels deep")
def step_sends_nested_json(context: Context, name: str, depth: int) -> None:
    """Send a JSON list nested this deep: valid JSON that naive parsers choke on."""
    context.cast.send_nested_json(name, depth)


@when("{name:Name} sends a message one byte over {size:d} MiB")
def step_sends_oversize(context: Context, name: str, size: int) -> None:
    """Send a text frame one byte longer than the size given."""
    context.cast.send_oversize(name, size)


@when("{name:Name} asks for an echo of a message of exactly {size:d} MiB")
def step_asks_for_sized_echo(context: Context, name: str, size: int) -> None:
    """Send an ECHO request whose frame is exactly this size, padded in its value."""
    context.cast.ask_for_sized_echo(name, size)


@then("{name:Name} hears that message echoed back")
def step_hears_sized_echo(context: Context, name: str) -> None:
    """The value of the sized echo request comes back whole."""
    context.cast.take_sized_echo(name)


@then('{name:Name} is told "{reason}"')
def step_told_error(context: Context, name: str, reason: str) -> None:
    """The server answers with an error reply giving this reason (a group it names
    is the scenario's, as in any message a person hears)."""
    context.cast.told(name, reason)


@then("{names:Names} can still chat")
def step_can_still_chat(context: Context, names: list[str]) -> None:
    """Each person's connection is open and an echo makes the round trip."""
    context.cast.round_trip_each(names)
