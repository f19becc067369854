"""Every text the server sends of its own, in one place.

The first four are the article's replies, byte for byte. Errors share one
format, ``ERROR: <reason>``, so a client can tell them apart with one prefix.
"""

from __future__ import annotations

ERROR_PREFIX = "ERROR: "


def group_created(name: str) -> str:
    return f"GROUP_CREATED: {name}"


def group_joined(name: str) -> str:
    return f"GROUP_JOINED: {name}"


def group_unavailable(name: str) -> str:
    return f"GROUP_UNAVAILABLE: {name}"


def group_left(name: str) -> str:
    return f"GROUP_LEFT: {name}"


def not_a_member(name: str) -> str:
    return error(f"you are not a member of {name}")


def not_in_a_group() -> str:
    return error("you are not in a group")


def broker_unavailable() -> str:
    """A cluster node's answer to group requests while it cannot reach Redis."""
    return error("groups are unavailable for now: this server cannot reach its broker; try again")


def error(reason: str) -> str:
    return f"{ERROR_PREFIX}{reason}"


def too_many_requests(rate: float) -> str:
    """The answer to a request over ``--max-rate``; the request itself is dropped."""
    return error(f"too many requests: at most {rate:g} per second; this one was not handled")
