# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps about what people hear, including hearing nothing more.

Every "hears" step marks the message it waited for as heard. The "nothing"
steps are the library's "receives nothing else" steps in the chat's words: they
prove that nothing more is on its way (see :mod:`wsharness.bdd.cast`) and then
fail on any message that no step has heard.
"""

from behave import then
from behave.runner import Context

import wsharness.bdd.step_types  # noqa: F401
from wsharness.bdd.receiving_steps import (
    step_nobody_receives_anything_else,
    step_receives_nothing_else,
)


@then('{names:Names} hears "{message}"')
@then('{names:Names} hear "{message}"')
@then('{names:Names} each hear "{message}"')
def step_hears(context: Context, names: list[str], message: str) -> None:
    """Each person receives the message (one more copy, if they heard it before)."""
    context.cast.hear_each(names, message)


@then('{name:Name} hears "{message}" {count:d} times')
def step_hears_times(context: Context, name: str, message: str, count: int) -> None:
    """The person receives this many copies of the message."""
    context.cast[name].hear_copies(message, count)


@then('everyone in "{group}" hears "{message}"')
def step_everyone_in_group_hears(context: Context, group: str, message: str) -> None:
    """Every member of the group, as the scenario built it, receives the message."""
    context.cast.hear_each(context.cast.member_names(group), message)


# Hearing nothing is the library's receiving nothing: its step functions, in the chat's words.
then("{names:Names} hear nothing else")(step_receives_nothing_else)
then("{names:Names} hears nothing else")(step_receives_nothing_else)
then("{names:Names} hear nothing")(step_receives_nothing_else)
then("{names:Names} hears nothing")(step_receives_nothing_else)
then("nobody hears anything else")(step_nobody_receives_anything_else)
