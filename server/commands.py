"""The commands a client can send, as plain values.

:mod:`server.wire` turns raw frames into these; :mod:`server.rules` acts on them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class GroupName:
    """A group's name as one client wrote it, and the key that identifies the group.

    Two spellings that are equal under Unicode NFC, such as "café" with one "é"
    and "café" as "e" plus a combining accent, have one key: they name one group.
    Groups are found by ``key``; replies carry ``written``, the sender's spelling.
    """

    written: str
    key: str

    @classmethod
    def of(cls, written: str) -> GroupName:
        """The name as written, keyed by its NFC form."""
        return cls(written, unicodedata.normalize("NFC", written))


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

    name: GroupName


@dataclass(frozen=True)
class JoinGroup:
    """``JOIN_GROUP``: move the sender into the existing group ``name``."""

    name: GroupName


@dataclass(frozen=True)
class LeaveGroup:
    """``LEAVE_GROUP``: take the sender out of its group."""


@dataclass(frozen=True)
class MessageGroup:
    """``MESSAGE_GROUP``: deliver ``message`` to every member of ``name``."""

    name: GroupName
    message: str


Command = Echo | EchoTimes3 | CreateGroup | JoinGroup | LeaveGroup | MessageGroup
