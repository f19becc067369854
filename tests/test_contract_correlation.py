"""Where a contract ties replies to requests (a ``reply`` and a ``correlationId``), a
received message with a request's correlation id must be one of that request's
declared replies; the worked example's contract (examples/pubsub/asyncapi.yaml) is the
example. The same end to end, against a server: tests/test_worked_example.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import PROJECT_ROOT
from wsharness.contract.correlation import Correlations
from wsharness.contract.document import ContractError, Direction, load
from wsharness.contract.frames import check

PUBSUB = load(PROJECT_ROOT / "examples" / "pubsub" / "asyncapi.yaml")


def told(correlations: Correlations, person: str, direction: Direction, **frame: str) -> str | None:
    data = json.dumps(frame)
    verdict = check(PUBSUB, direction, data, text=True)
    assert verdict.problem is None, verdict.problem
    return correlations.observe(person, direction, verdict, data)


def test_the_contract_reads_which_request_asks_for_which_replies() -> None:
    """Each request with a correlationId is tied to its operation; the publication,
    which declares none, is not a reply to anything."""
    assert PUBSUB.messages["subscribe"].correlation == "/ref"
    assert PUBSUB.messages["message"].correlation is None
    assert PUBSUB.requests["subscribe"].replies == ("subscribed", "error")
    assert set(PUBSUB.requests) == {"subscribe", "unsubscribe", "publish", "ping"}


def test_a_reply_of_another_kind_under_a_requests_id_is_named() -> None:
    """The failure names the correlation id, the request, its operation, its declared
    replies and the message that came instead."""
    correlations = Correlations(PUBSUB)
    assert told(correlations, "Alice", "sent", op="subscribe", topic="news", ref="r1") is None
    problem = told(correlations, "Alice", "received", op="unsubscribed", topic="news", ref="r1")
    assert problem == (
        'the reply with the correlation id "r1" is unsubscribe confirmation (unsubscribed), '
        "but the request with that id, "
        """'{"op": "subscribe", "topic": "news", "ref": "r1"}' (subscribe, operation """
        "receiveSubscribe), declares only these replies: subscribe confirmation "
        "(subscribed), error"
    )


def test_a_declared_reply_or_an_untied_message_passes() -> None:
    """A declared reply (the error too), a message with an id no request of that
    connection carried, and a message without an id are all fine."""
    correlations = Correlations(PUBSUB)
    told(correlations, "Alice", "sent", op="subscribe", topic="news", ref="r1")
    assert told(correlations, "Alice", "received", op="subscribed", topic="news", ref="r1") is None
    assert told(correlations, "Alice", "received", op="error", reason="no", ref="r1") is None
    assert told(correlations, "Bob", "received", op="unsubscribed", topic="news", ref="r1") is None
    assert told(correlations, "Alice", "received", op="unsubscribed", topic="news") is None


def test_a_new_scenario_forgets_the_requests() -> None:
    correlations = Correlations(PUBSUB)
    told(correlations, "Alice", "sent", op="subscribe", topic="news", ref="r1")
    correlations.forget()
    assert (
        told(correlations, "Alice", "received", op="unsubscribed", topic="news", ref="r1") is None
    )


def test_a_correlation_id_outside_the_payload_is_refused_in_one_line(tmp_path: Path) -> None:
    """A WebSocket frame has no headers: ``$message.header#`` cannot be read."""
    text = (PROJECT_ROOT / "examples" / "pubsub" / "asyncapi.yaml").read_text(encoding="utf-8")
    document = tmp_path / "headers.yaml"
    document.write_text(text.replace("$message.payload#/ref", "$message.header#/ref"))
    with pytest.raises(ContractError, match=r"correlationId is at '\$message.header#/ref'"):
        load(document)
