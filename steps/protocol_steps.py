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
    """Send the doc-string's JSON as one text frame (re-encoded, group names made unique)."""
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


@when("{name:Name} sends an empty message")
def step_sends_empty(context: Context, name: str) -> None:
    """Send a text frame with no text at all."""
    context.cast[name].send("")


@when("{name:Name} sends a message of only white space")
def step_sends_white_space(context: Context, name: str) -> None:
    """Send a text frame of spaces, a tab and a line break: blank, though not empty."""
    context.cast[name].send(" \t\n ")


@when("{name:Name} sends JSON nested {depth:d} levels deep")
def step_sends_nested_json(context: Context, name: str, depth: int) -> None:
    """Send a JSON list nested this deep: valid JSON that naive parsers choke on."""
    context.cast[name].send("[" * depth + "]" * depth)


@when('{name:Name} sends the binary message "{text}"')
def step_sends_binary(context: Context, name: str, text: str) -> None:
    """Send the text's UTF-8 bytes in a binary frame."""
    context.cast[name].send(text.encode())


MIB = 1024 * 1024


@when("{name:Name} sends a message one byte over {size:d} MiB")
def step_sends_oversize(context: Context, name: str, size: int) -> None:
    """Send a text frame one byte longer than the size given."""
    context.cast[name].send("x" * (size * MIB + 1))


@when("{name:Name} asks for an echo of a message of exactly {size:d} MiB")
def step_asks_for_sized_echo(context: Context, name: str, size: int) -> None:
    """Send an ECHO request whose frame is exactly this size, padded in its value."""
    envelope = json.dumps(chat.echo(""), ensure_ascii=False)
    context.sized_text = "x" * (size * MIB - len(envelope.encode()))
    context.cast[name].request(chat.echo(context.sized_text))


@then("{name:Name} hears that message echoed back")
def step_hears_sized_echo(context: Context, name: str) -> None:
    """The value of the sized echo request comes back whole."""
    context.cast[name].hear(context.sized_text)


@when("{name:Name} sends text that is not valid UTF-8")
def step_sends_invalid_utf8(context: Context, name: str) -> None:
    """Send bytes that are not UTF-8 in a text frame."""
    context.cast[name].client.send(b"\xff\xfe\xfd", text=True)


@then('{name:Name} is told "{reason}"')
def step_told_error(context: Context, name: str, reason: str) -> None:
    """The server answers with an error reply giving this reason."""
    context.cast[name].hear(chat.error(reason))


@then("{name:Name}'s connection is closed with code {code:d}")
def step_connection_closed_with(context: Context, name: str, code: int) -> None:
    """The server closes the person's connection with this close code."""
    context.cast[name].closing_expected = True
    client = context.cast[name].client
    client.wait_until("close")
    assert_that(client.close_code, equal_to(code), f"the close code {name} received")


@then("{names:Names} can still chat")
def step_can_still_chat(context: Context, names: list[str]) -> None:
    """Each person's connection is open and an echo makes the round trip."""
    for name in names:
        person = context.cast[name]
        person.check_connected()
        person.settle()
