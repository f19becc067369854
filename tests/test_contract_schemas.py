"""How a contract's schemas are read: by the dialect its ``schemaFormat`` names, with
ECMA-262 patterns (jsonschema-rs decides), and a mismatch told by the message the frame
is closest to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wsharness.contract.document import Contract, ContractError, load
from wsharness.contract.frames import check


def contract(tmp_path: Path, messages: str, *, name: str = "c.yaml") -> Contract:
    """A contract whose server receives every message of ``messages`` (YAML, indented
    under ``messages:``)."""
    names = [
        line.strip().rstrip(":")
        for line in messages.splitlines()
        if line.startswith("  ") and not line.startswith("   ") and line.strip().endswith(":")
    ]
    refs = "".join(f"      - $ref: '#/channels/c/messages/{n}'\n" for n in names)
    text = (
        "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\nchannels:\n  c:\n    messages:\n"
        + "".join(f"    {line}\n" for line in messages.splitlines())
        + f"operations:\n  take:\n    action: receive\n    channel: {{$ref: '#/channels/c'}}\n"
        f"    messages:\n{refs}"
    )
    (tmp_path / name).write_text(text, encoding="utf-8")
    return load(tmp_path / name)


DIGITS = """\
  count:
    payload:
      type: object
      required: [n]
      properties:
        n: {type: string, pattern: '^\\d+$'}
"""


@pytest.mark.parametrize("value", ["١٢٣", "12\n", "x12"])
def test_a_pattern_is_read_as_ecma_262(tmp_path: Path, value: str) -> None:
    """``\\d`` is ASCII digits and ``$`` is the end of the text: Arabic-Indic digits and a
    trailing newline are refused, naming the field (Python's ``re`` would admit both)."""
    verdict = check(contract(tmp_path, DIGITS), "sent", json.dumps({"n": value}), text=True)
    assert verdict.matched == ()
    assert verdict.problem is not None and verdict.problem.startswith(
        "not a valid count: at n: "
    ), verdict.problem
    assert "does not match" in verdict.problem


def test_a_pattern_admits_ascii_digits(tmp_path: Path) -> None:
    assert check(contract(tmp_path, DIGITS), "sent", '{"n": "123"}', text=True).matched == (
        "count",
    )


PAIR = """\
  pair:
    payload:
      schemaFormat: {format}
      schema:
        type: array
        prefixItems: [{{type: string}}, {{type: integer}}]
        items: false
"""


@pytest.mark.parametrize(
    "schema_format",
    ["application/schema+json;version=2020-12", "application/schema+yaml;version=2020-12"],
)
def test_a_schema_is_read_in_the_dialect_its_format_names(
    tmp_path: Path, schema_format: str
) -> None:
    """A 2020-12 schema's ``prefixItems`` and ``items: false`` hold (draft 7 would ignore
    the first and refuse every non-empty array for the second)."""
    pair = contract(tmp_path, PAIR.format(format=schema_format))
    assert check(pair, "sent", '["a", 1]', text=True).matched == ("pair",)
    refused = check(pair, "sent", '["a", "b"]', text=True)
    assert refused.problem is not None and refused.problem.startswith("not a valid pair: at 1: ")
    assert check(pair, "sent", '["a", 1, 2]', text=True).matched == ()


@pytest.mark.parametrize(
    "schema_format",
    [
        "application/vnd.aai.asyncapi+json;version=3.0.0",
        "application/schema+yaml;version=draft-07",
    ],
)
def test_asyncapi_and_draft_7_schemas_are_draft_7(tmp_path: Path, schema_format: str) -> None:
    """AsyncAPI's own schema format is draft 7's: ``prefixItems`` means nothing there."""
    pair = contract(tmp_path, PAIR.format(format=schema_format).replace("items: false", ""))
    assert check(pair, "sent", '["a", "b"]', text=True).matched == ("pair",)


def test_a_schema_format_the_library_cannot_read_is_refused_at_load(tmp_path: Path) -> None:
    """An Avro payload is not a JSON Schema: one line naming the message and the format."""
    avro = """\
  tick:
    payload:
      schemaFormat: application/vnd.apache.avro;version=1.9.0
      schema: {type: record, name: Tick, fields: [{name: price, type: double}]}
"""
    with pytest.raises(ContractError) as raised:
        contract(tmp_path, avro)
    assert str(raised.value) == (
        f"the contract {tmp_path / 'c.yaml'}: message tick's payload is in "
        "application/vnd.apache.avro;version=1.9.0, which the library cannot check "
        "(it reads JSON Schema: AsyncAPI's schema format, draft-04 to 2020-12)"
    )


LIST_OR_TEXT = """\
  numbers:
    payload:
      type: object
      required: [kind, items]
      properties:
        kind: {const: numbers}
        items: {type: array, items: {type: integer}}
  ready:
    contentType: text/plain
    payload: {type: string, pattern: '^READY '}
"""


def test_a_json_frame_is_told_by_the_json_message_it_is_closest_to(tmp_path: Path) -> None:
    """A JSON document with two bad items is a bad ``numbers``, not a bad text
    ``ready`` (which it breaks by one rule only)."""
    frame = json.dumps({"kind": "numbers", "items": ["a", "b"]})
    verdict = check(contract(tmp_path, LIST_OR_TEXT), "sent", frame, text=True)
    assert verdict.problem is not None
    assert verdict.problem.startswith("not a valid numbers: at items."), verdict.problem


def test_a_text_frame_is_told_by_the_text_message_it_is_closest_to(tmp_path: Path) -> None:
    """Text that is not JSON is told by the text message."""
    verdict = check(contract(tmp_path, LIST_OR_TEXT), "sent", "READY", text=True)
    assert verdict.problem is not None
    assert verdict.problem.startswith("not a valid ready: "), verdict.problem
