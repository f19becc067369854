# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Low-level steps for protocol work: raw frames, JSON doc-strings, exact lists.

Only ``features/protocol.feature`` should need these; the other features say
what happens in plain words. Group names inside JSON requests and replies are
still made unique to the scenario.
"""

import json

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, equal_to

import acceptance.step_types  # noqa: F401
from acceptance import chat
from wsharness import json_containing


@when('{name:Name} sends the text "{text}"')
def step_sends_text(context: Context, name: str, text: str) -> None:
    """Send a text frame exactly as written, without any encoding."""
    context.cast[name].send(text)


@when("{name:Name} sends this JSON")
@when("{name:Name} sends this JSON:")
def step_sends_json(context: Context, name: str) -> None:
    """Send the doc-string, which must be JSON, as one text frame."""
    document = _json_doc_string(context)
    context.cast[name].request(chat.rename_groups_in_request(document, context.cast.names))


@then("{name:Name} receives a JSON message containing")
@then("{name:Name} receives a JSON message containing:")
def step_receives_json(context: Context, name: str) -> None:
    """A text message arrives whose JSON contains the doc-string's keys and values."""
    expected = _json_doc_string(context)
    context.cast[name].hear_matching(
        json_containing(expected), f"a JSON message containing {json.dumps(expected)}"
    )


@then("{name:Name} receives exactly these messages, in order")
@then("{name:Name} receives exactly these messages, in order:")
def step_receives_exactly(context: Context, name: str) -> None:
    """The table's "message" column, in order, and nothing more."""
    assert context.table is not None, "this step needs a table with a 'message' column"
    expected = [
        chat.rename_groups_in_reply(row["message"], context.cast.names) for row in context.table
    ]
    person = context.cast[name]
    arrived = [record.data for record in person.hear_count(len(expected))]
    assert_that(arrived, equal_to(expected), f"the messages {name} received")
    context.cast.settle()
    person.assert_heard_everything()


def _json_doc_string(context: Context) -> object:
    assert context.text, "this step needs a JSON doc-string"
    try:
        return json.loads(context.text)
    except ValueError as exc:
        raise AssertionError(f"the doc-string is not JSON: {exc}") from None
