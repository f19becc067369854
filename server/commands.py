"""The commands a client can send, as plain values.

:mod:`server.wire` turns raw frames into these; :mod:`server.rules` acts on them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Echo:
    """``ECHO``: send ``value`` back to the sender."""

    value: str


@dataclass(frozen=True)
class EchoTimes3:
    """``ECHO_TIMES_3``: send ``value`` back to the sender three times."""

    value: str


@dataclass(frozen=True)
class CreateGroup:
    """``CREATE_GROUP``: create the group ``name`` and move the sender into it."""

    name: str


@dataclass(frozen=True)
class JoinGroup:
    """``JOIN_GROUP``: move the sender into the existing group ``name``."""

    name: str


@dataclass(frozen=True)
class LeaveGroup:
    """``LEAVE_GROUP``: take the sender out of its group."""


@dataclass(frozen=True)
class MessageGroup:
    """``MESSAGE_GROUP``: deliver ``message`` to every member of ``name``."""

    name: str
    message: str


Command = Echo | EchoTimes3 | CreateGroup | JoinGroup | LeaveGroup | MessageGroup
