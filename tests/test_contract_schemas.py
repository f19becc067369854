"""How a contract's schemas are read: by the dialect its ``schemaFormat`` names, with
ECMA-262 patterns (jsonschema-rs decides), and a mismatch told by the message the frame
is closest to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wsharness.contract.document import Contract, load
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
