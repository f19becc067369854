"""Errors the harness raises.

They derive from :class:`AssertionError` because each one is a failed
expectation about the server under test: behave and pytest then report their
one-line message instead of a stack trace.
"""

from __future__ import annotations


class HarnessError(AssertionError):
    """Base class of every error the harness raises."""


class ConnectionFailed(HarnessError):
    """The client could not open its connection; the message names URL and cause."""


class WaitTimeout(HarnessError):
    """A wait ran out of time; the message lists what the client did receive."""


class NotOnItsWay(WaitTimeout):
    """A wait failed without waiting out its timeout: a round trip proved that what
    it waited for is not on its way. The message says what arrived instead."""


class ConnectionLost(HarnessError):
    """The connection closed while the client still needed it."""


class UnexpectedMessage(HarnessError):
    """A message arrived that the test said must not."""
