# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps about what people hear, including hearing nothing more.

Every "hears" step marks the message it waited for as heard; the "nothing"
steps first settle everyone with round trips and a short quiet window (see
:mod:`acceptance.cast`) and then fail on any message that no step has heard.
"""

from behave import then
from behave.runner import Context

import wsharness.bdd.step_types  # noqa: F401


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


@then("{names:Names} hears nothing")
@then("{names:Names} hear nothing")
@then("{names:Names} hears nothing else")
@then("{names:Names} hear nothing else")
def step_hears_nothing_else(context: Context, names: list[str]) -> None:
    """Once the server has surely finished, the people received nothing unheard."""
    context.cast.assert_nothing_else(context.cast[name] for name in names)


@then("nobody hears anything else")
def step_nobody_hears_anything_else(context: Context) -> None:
    """Once the server has surely finished, nobody received anything unheard."""
    context.cast.assert_nothing_else(context.cast.people)
