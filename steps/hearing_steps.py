# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps about what people hear, including hearing nothing more.

"Hears" is the chat's word for the library's "receives": each step calls what the
library's receiving steps call (:class:`wsharness.bdd.Cast`), so a message is checked
the same way whichever word a feature uses.
"""

from behave import then
from behave.runner import Context

import wsharness.bdd.step_types  # noqa: F401


@then('{names:Names} hears "{message}"')
@then('{names:Names} hear "{message}"')
@then('{names:Names} each hear "{message}"')
def step_hears(context: Context, names: list[str], message: str) -> None:
    """Each person receives the message (one more copy, if they heard it before)."""
    context.cast.receive(names, message)


@then('{name:Name} hears "{message}" {count:d} times')
def step_hears_times(context: Context, name: str, message: str, count: int) -> None:
    """The person receives this many copies of the message."""
    context.cast.receive_copies(name, message, count)


@then('everyone in "{group}" hears "{message}"')
def step_everyone_in_group_hears(context: Context, group: str, message: str) -> None:
    """Every member of the group, as the scenario built it, receives the message."""
    context.cast.members_receive(group, message)


@then("nobody hears anything else")
@then("{names:Names} hear nothing else")
@then("{names:Names} hears nothing else")
@then("{names:Names} hear nothing")
@then("{names:Names} hears nothing")
def step_hears_nothing_else(context: Context, names: list[str] | None = None) -> None:
    """Once nothing more can be on its way, the people named (or everyone, "nobody") have
    heard nothing no step took."""
    context.cast.receive_nothing_else(names)
