# mypy: disable-error-code="untyped-decorator"
# (behave's step decorators carry no types; the step functions are typed.)
"""Steps named after the messages of the run's contract, with their fields as arguments
(``When Bob sends a subscribe with topic "prices"``; the README's "Your protocol's contract").

A message is named by its key in the contract's channel or by its ``title``, in any case.
The fields its schema fixes are filled in, the others the step names are read as the
type the schema declares for them (``amount "2"`` is the integer 2 where ``amount`` is an
integer), and a received message's other fields are left to the contract check. They
need a contract (``configure(contract=...)`` or ``-D contract=FILE``).
"""

import re
from typing import Any

from behave import register_type, then, when
from behave.runner import Context

import wsharness.bdd.step_types  # noqa: F401
from wsharness import json_containing
from wsharness.contract.document import Contract, Message
from wsharness.contract.fields import typed

_FIELD = re.compile(r'([\w.-]+) "([^"]*)"')


def parse_fields(text: str) -> dict[str, str]:
    """``topic "prices", id "{tick}" and data "ACME"`` as a dict, in that order."""
    return dict(_FIELD.findall(text))


parse_fields.pattern = r'[\w.-]+ "[^"]*"(?:(?:, | and )[\w.-]+ "[^"]*")*'  # type: ignore[attr-defined]

register_type(Fields=parse_fields)


@when("{name:Name} sends a {message} with {fields:Fields}")
@when("{name:Name} sends an {message} with {fields:Fields}")
def step_sends_contract_message(
    context: Context, name: str, message: str, fields: dict[str, str]
) -> None:
    """Send the contract's message with these fields, and those its schema fixes."""
    document = _document(context, _message(context, message, "sent"), fields)
    context.cast[name].request(context.cast.outgoing_json(document))


@then("{name:Name} receives a {message} with {fields:Fields}")
@then("{name:Name} receives an {message} with {fields:Fields}")
def step_receives_contract_message(
    context: Context, name: str, message: str, fields: dict[str, str]
) -> None:
    """The contract's message arrives with these fields (and those its schema fixes)."""
    document = _document(context, _message(context, message, "received"), fields)
    context.cast[name].take_json(json_containing(document))


@then("{name:Name} receives these {message}s, in order")
@then("{name:Name} receives these {message}s, in order:")
def step_receives_contract_messages_in_order(context: Context, name: str, message: str) -> None:
    """The next messages are the table's rows, in order: each the contract's message
    with the row's fields (a column per field)."""
    _take_rows(context, name, _message(context, message, "received"))


def _take_rows(context: Context, name: str, kind: Message) -> None:
    assert context.table, "this step needs a table: a column per field, a row per message"
    rows = [dict(zip(context.table.headings, row.cells, strict=True)) for row in context.table]
    person = context.cast[name]
    for number, (record, row) in enumerate(zip(person.take_messages(len(rows)), rows, strict=True)):
        expected = json_containing(_document(context, kind, row))
        if not expected.matches(record.data):
            raise AssertionError(
                f"{name}'s message {number + 1} of {len(rows)} is not the {kind.title} "
                f"of row {number + 1} ({row}): it is {record.data!r}"
            )


def _message(context: Context, name: str, direction: str) -> Message:
    run = getattr(context, "contract_run", None)
    if run is None:
        raise AssertionError(
            f"'{name}' is a message of the contract, but the run has none: give it with "
            "configure(contract=PATH) or -D contract=FILE"
        )
    contract: Contract = run.contract
    names = contract.sent if direction == "sent" else contract.received
    wanted = name.strip().lower()
    for key in names:
        if wanted in (key.lower(), contract.messages[key].title.lower()):
            return contract.messages[key]
    known = ", ".join(contract.messages[key].title for key in names)
    verb = "send" if direction == "sent" else "receive"
    raise AssertionError(f"the contract has no message '{name}' a client may {verb}: {known}")


def _document(context: Context, message: Message, fields: dict[str, str]) -> dict[str, Any]:
    """The message's fixed fields and the step's, each step value read as the type the
    schema declares for its field (sent so, and compared so)."""
    return {
        **message.fixed,
        **{
            key: typed(context.cast.fill(value), message.field_types.get(key, ()))
            for key, value in fields.items()
        },
    }
