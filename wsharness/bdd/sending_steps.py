# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps that send text, JSON and binary messages exactly as written, but for values
noted earlier (``{name}``) and the names the adapter makes unique in JSON.
"""

import json

from behave import when
from behave.runner import Context

import wsharness.bdd.step_types  # noqa: F401


@when('{name:Name} sends the text "{text}"')
def step_sends_text(context: Context, name: str, text: str) -> None:
    """Send a text frame exactly as written."""
    context.cast[name].send(context.cast.fill(text))


@when("{name:Name} sends this JSON")
@when("{name:Name} sends this JSON:")
def step_sends_json(context: Context, name: str) -> None:
    """Send the doc-string's JSON as one text frame."""
    context.cast[name].request(context.cast.outgoing_json(json_doc_string(context)))


@when('{name:Name} sends the binary message "{text}"')
def step_sends_binary(context: Context, name: str, text: str) -> None:
    """Send the text's UTF-8 bytes in a binary frame."""
    context.cast[name].send(context.cast.fill(text).encode())


@when("{name:Name} sends an empty message")
def step_sends_empty(context: Context, name: str) -> None:
    """Send a text frame with no text at all."""
    context.cast[name].send("")


@when("{name:Name} sends a message of only white space")
def step_sends_white_space(context: Context, name: str) -> None:
    """Send a text frame of spaces, a tab and a line break: blank, though not empty."""
    context.cast[name].send(" \t\n ")


@when("{name:Name} sends text that is not valid UTF-8")
def step_sends_invalid_utf8(context: Context, name: str) -> None:
    """Send bytes that are not UTF-8 in a text frame."""
    context.cast[name].send(b"\xff\xfe\xfd", text=True)


def json_doc_string(context: Context) -> object:
    """The step's doc-string, noted values filled in, decoded as JSON."""
    assert context.text, "this step needs a JSON doc-string"
    try:
        return json.loads(context.cast.fill(context.text))
    except ValueError as exc:
        raise AssertionError(f"the doc-string is not JSON: {exc}") from None
