"""The chat's driver (acceptance/chat.py) against a real server, where what it does
goes beyond one request and its reply."""

from __future__ import annotations

import json

from acceptance import testbed
from acceptance.chat import ChatCast, echo


def test_asking_until_accepted_takes_a_refusal_for_the_rate_as_not_yet() -> None:
    """Against a server with --max-rate, "can soon create" asks again after a refusal
    for the rate, as after "unavailable", instead of waiting for an answer that the
    refused request will never get."""
    with testbed.start("--max-rate", "10") as bed, ChatCast(bed.urls) as cast:
        cast.connect(["Bob"])
        cast["Bob"].send_all([json.dumps(echo(f"burst {n}")) for n in range(30)])
        cast.create_group_once_free("Bob", "book club", within=5)
        assert cast.group_of("Bob") == "book club"
