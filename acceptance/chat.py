"""The chat protocol as the specs see it: requests to send and replies to expect.

These are written out here, not imported from ``server``, so the specs stay an
independent statement of the protocol that can judge any implementation.
"""

from __future__ import annotations

import json
import re
from typing import Any

from wsharness.bdd import HttpHealthCheck, ProtocolAdapter, RoundTrip
from wsharness.bdd.adapter import Rename

HEALTH_CHECK = HttpHealthCheck("/healthz")
"""How a monitor asks a chat server whether it is healthy: ``GET /healthz``, no token,
200 when it can serve (503 with the reason, such as its broker being away)."""


def echo(text: str) -> dict[str, Any]:
    return {"type": "ECHO", "value": text}


def echo_times_3(text: str) -> dict[str, Any]:
    return {"type": "ECHO_TIMES_3", "value": text}


def create_group(group: str) -> dict[str, Any]:
    return {"type": "CREATE_GROUP", "value": group}


def join_group(group: str) -> dict[str, Any]:
    return {"type": "JOIN_GROUP", "value": group}


def leave_group() -> dict[str, Any]:
    return {"type": "LEAVE_GROUP"}


def message_group(group: str, message: str) -> dict[str, Any]:
    return {"type": "MESSAGE_GROUP", "value": {"groupName": group, "groupMessage": message}}


def group_created(group: str) -> str:
    return f"GROUP_CREATED: {group}"


def group_joined(group: str) -> str:
    return f"GROUP_JOINED: {group}"


def group_unavailable(group: str) -> str:
    return f"GROUP_UNAVAILABLE: {group}"


def group_left(group: str) -> str:
    return f"GROUP_LEFT: {group}"


ERROR_PREFIX = "ERROR: "

_REPLY_WITH_GROUP = re.compile(
    r"^(GROUP_CREATED: |GROUP_JOINED: |GROUP_UNAVAILABLE: |GROUP_LEFT: "
    r"|ERROR: you are not a member of )(.*)$"
)


def rename_groups_in_request(document: Any, rename: Rename) -> Any:
    """``document`` with every group name in it passed through ``rename``.

    Used by the low-level steps so that even raw JSON in a feature file gets
    the scenario's unique group names.
    """
    if not isinstance(document, dict):
        return document
    kind, value = document.get("type"), document.get("value")
    if kind in ("CREATE_GROUP", "JOIN_GROUP") and isinstance(value, str):
        return {**document, "value": rename(value)}
    if (
        kind == "MESSAGE_GROUP"
        and isinstance(value, dict)
        and isinstance(value.get("groupName"), str)
    ):
        return {**document, "value": {**value, "groupName": rename(value["groupName"])}}
    return document


def rename_groups_in_reply(text: str, rename: Rename) -> str:
    """A reply that names a group (``GROUP_CREATED: book club``, ``ERROR: you are not a
    member of book club``) with the group name renamed."""
    match = _REPLY_WITH_GROUP.match(text)
    return f"{match[1]}{rename(match[2])}" if match else text


def error(reason: str) -> str:
    return f"{ERROR_PREFIX}{reason}"


BROKER_UNAVAILABLE = error(
    "groups are unavailable for now: this server cannot reach its broker; try again"
)
"""What a cluster node answers a group request while it cannot reach Redis."""


def not_a_member(group: str) -> str:
    return error(f"you are not a member of {group}")


class ChatAdapter(ProtocolAdapter):
    """The chat protocol, for the step library.

    Its round trip is an ECHO: the server answers one connection's requests in
    order, so the echo of a unique token comes back only after everything the
    earlier requests sent to that connection. It is a barrier
    (docs/protocol.md, "What a round trip proves"): every request the server
    handled before the echo has delivered what it sends, to any connection, on a
    cluster through the node's echo barrier. Group names in requests and replies
    are made unique to the scenario.
    """

    name = "the chat protocol"
    round_trip_is_barrier = True

    def round_trip(self, token: str) -> RoundTrip:
        return RoundTrip(request=json.dumps(echo(token)), reply=token)

    def outgoing(self, document: Any, rename: Rename) -> Any:
        return rename_groups_in_request(document, rename)

    def expected(self, text: str, rename: Rename) -> str:
        return rename_groups_in_reply(text, rename)
