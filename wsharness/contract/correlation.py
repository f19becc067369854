"""Replies tied to their requests by a correlation id: a reply must be one its request's
operation declares. A received message whose id no request of the connection carried, or
that declares none, is checked only against the schemas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wsharness.contract.document import Contract, Direction, Operation
from wsharness.contract.frames import Verdict
from wsharness.records import describe_data


@dataclass(frozen=True)
class _Request:
    message: str
    operation: Operation
    shown: str
    """The request's frame as the failure names it."""


@dataclass
class Correlations:
    """The requests each connection has sent, by correlation id, and what their replies
    may be; frames are told in the order they were sent and received."""

    contract: Contract
    _requests: dict[tuple[str, str], _Request] = field(default_factory=dict)

    def observe(
        self, connection: str, direction: Direction, verdict: Verdict, data: str | bytes
    ) -> str | None:
        """Remember a request; say why a reply (``data``) is not one of its request's, else None."""
        if verdict.correlation is None or verdict.problem is not None:
            return None
        key = (connection, verdict.correlation)
        if direction == "sent":
            for name in verdict.matched:
                operation = self.contract.requests.get(name)
                if operation is not None:
                    self._requests[key] = _Request(name, operation, describe_data(data, 120))
            return None
        request = self._requests.get(key)
        if request is None or set(verdict.matched) & set(request.operation.replies):
            return None
        messages = self.contract.messages
        kinds = " or ".join(messages[name].label for name in verdict.matched)
        replies = ", ".join(messages[name].label for name in request.operation.replies)
        return (
            f"the reply with the correlation id {verdict.correlation} is {kinds}, but the "
            f"request with that id, {request.shown} ({messages[request.message].label}, "
            f"operation {request.operation.name}), declares only these replies: {replies}"
        )

    def forget(self) -> None:
        """A new scenario: no request is waiting for its reply."""
        self._requests.clear()
