"""docs/asyncapi.yaml is the chat protocol as AsyncAPI 3.0: a valid document, naming the
same requests, replies and refusals as docs/protocol.md, so neither can drift alone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.support import PROJECT_ROOT
from tools.check_asyncapi import problems

CONTRACT = PROJECT_ROOT / "docs" / "asyncapi.yaml"
PROSE = (PROJECT_ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
CODE = re.compile(r"`([^`]+)`")
ANY_TEXT = {"type": "string"}
"""The payload of a message that can be any text (an echo, a post): the prose gives it no form."""


def _section(title: str) -> str:
    return PROSE.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _table_rows(section: str) -> list[list[str]]:
    rows = [line.strip("|").split(" | ") for line in section.splitlines() if line.startswith("| ")]
    return rows[1:]  # the header; the |---| line does not start with "| "


def _messages() -> dict[str, dict[str, Any]]:
    document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    messages: dict[str, dict[str, Any]] = document["components"]["messages"]
    return messages


def test_the_contract_is_a_valid_asyncapi_3_document() -> None:
    """AsyncAPI's own JSON Schema finds nothing wrong with it, and every $ref points somewhere."""
    assert problems(CONTRACT) == []


def test_the_check_names_what_is_wrong_in_a_broken_document(tmp_path: Path) -> None:
    """The check is real: a wrong action and a dangling $ref are each named with their place."""
    broken = CONTRACT.read_text(encoding="utf-8").replace("action: receive", "action: listen", 1)
    broken = broken.replace("'#/components/messages/echo'}", "'#/components/messages/ehco'}", 1)
    (tmp_path / "broken.yaml").write_text(broken, encoding="utf-8")
    found = "\n".join(problems(tmp_path / "broken.yaml"))
    assert "at operations/receiveEcho/action: 'listen' is not one of ['send', 'receive']" in found
    assert "at channels/chat/messages/echo: $ref '#/components/messages/ehco' points nowhere" in (
        found
    )


def test_the_requests_are_the_types_of_the_protocol() -> None:
    """One message per `type` of the requests table, titled by it."""
    types = {CODE.findall(row[0])[0] for row in _table_rows(_section("Requests and replies"))}
    assert types == {"ECHO", "ECHO_TIMES_3", "CREATE_GROUP", "JOIN_GROUP", "LEAVE_GROUP"} | {
        "MESSAGE_GROUP"
    }
    requests = {m["title"] for m in _messages().values() if m.get("contentType") != "text/plain"}
    assert requests == types


def test_every_reply_and_refusal_of_the_protocol_is_a_message_of_the_contract() -> None:
    """Each `GROUP_...: <name>` reply and each `ERROR: ...` reason of the prose is one
    message's title, and the contract has no other text of a fixed form."""
    replies = {
        code
        for row in _table_rows(_section("Requests and replies"))
        for code in CODE.findall(row[2])
        if code.startswith("GROUP_")
    }
    refusals = {
        next(code for code in CODE.findall(row[1]) if code.startswith("ERROR: "))
        for row in _table_rows(_section("Errors"))
    }
    assert len(replies) == 4 and len(refusals) == 21, (replies, refusals)
    texts = {
        m["title"]
        for m in _messages().values()
        if m.get("contentType") == "text/plain" and m["payload"] != ANY_TEXT
    }
    assert texts == replies | refusals, {
        "in the prose only": sorted((replies | refusals) - texts),
        "in the contract only": sorted(texts - (replies | refusals)),
    }


def test_the_only_texts_of_any_form_are_the_echo_and_the_post() -> None:
    """The echoed value and a member's post are any text; nothing else is."""
    free = {name for name, m in _messages().items() if m["payload"] == ANY_TEXT}
    assert free == {"echoed", "groupMessage"}
