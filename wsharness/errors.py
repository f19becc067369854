"""Errors the harness raises: failed expectations about the server, hence AssertionErrors,
so behave and pytest report their one line, not a stack trace.
"""

from __future__ import annotations


class HarnessError(AssertionError):
    """Base class of every error the harness raises."""


class ConnectionFailed(HarnessError):
    """The client could not open its connection; the message names URL and cause."""


class WaitTimeout(HarnessError):
    """A wait ran out of time; the message lists what the client did receive."""


class NotOnItsWay(WaitTimeout):
    """A wait failed at once: a round trip proved that what it waited for is not coming."""


class ConnectionLost(HarnessError):
    """The connection closed while the client still needed it."""


class UnexpectedMessage(HarnessError):
    """A message arrived that the test said must not."""
