# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps about what people receive, including nothing else, and noting values.

Every "receives" step takes the message it waited for, so receiving it twice needs two
copies; "nothing else" fails on anything no step took (:mod:`wsharness.bdd.cast`).
"""

import re

from behave import then
from behave.runner import Context

import wsharness.bdd.step_types  # noqa: F401
from wsharness import json_containing
from wsharness.bdd.sending_steps import json_doc_string


@then('{names:Names} receives "{text}"')
@then('{names:Names} receive "{text}"')
@then('{names:Names} each receive "{text}"')
def step_receives(context: Context, names: list[str], text: str) -> None:
    """Each person receives this text (one more copy, if they received it before)."""
    context.cast.receive(names, text)


@then('{name:Name} receives "{text}" {count:d} times')
def step_receives_times(context: Context, name: str, text: str, count: int) -> None:
    """The person receives this many copies of the text."""
    context.cast.receive_copies(name, text, count)


@then("{name:Name} receives a JSON message containing")
@then("{name:Name} receives a JSON message containing:")
def step_receives_json(context: Context, name: str) -> None:
    """A text message arrives whose JSON has the doc-string's keys and values."""
    context.cast[name].take_json(json_containing(json_doc_string(context)))


@then('{name:Name} receives a message matching "{pattern}"')
def step_receives_matching(context: Context, name: str, pattern: str) -> None:
    """A text message arrives that matches this regular expression, all of it."""
    regex = re.compile(context.cast.fill(pattern))
    context.cast[name].take_match(
        lambda data: isinstance(data, str) and regex.fullmatch(data) is not None,
        f"a message matching /{regex.pattern}/",
    )


@then("{name:Name} receives {count:d} messages")
@then("{name:Name} receives {count:d} message")
def step_receives_count(context: Context, name: str, count: int) -> None:
    """The next this-many messages arrive, whatever they say."""
    context.cast[name].take_messages(count)


@then("{name:Name} receives exactly these messages, in order")
@then("{name:Name} receives exactly these messages, in order:")
def step_receives_exactly(context: Context, name: str) -> None:
    """The table's "message" column, in order, and nothing more."""
    context.cast.receive_exactly(name, context.table)


@then("{names:Names} receives nothing")
@then("{names:Names} receive nothing")
@then("{names:Names} receives nothing else")
@then("{names:Names} receive nothing else")
def step_receives_nothing_else(context: Context, names: list[str]) -> None:
    """Once nothing more can be on its way, the people have received nothing no step took."""
    context.cast.receive_nothing_else(names)


@then("nobody receives anything else")
def step_nobody_receives_anything_else(context: Context) -> None:
    """Once nothing more can be on its way, nobody has received anything no step took."""
    context.cast.receive_nothing_else()


@then("{name:Name} notes the `{path}` of that message as {label:w}")
def step_notes_value(context: Context, name: str, path: str, label: str) -> None:
    """Keep a field of the JSON message the person received last, for later steps."""
    context.cast.note(name, path, label)
