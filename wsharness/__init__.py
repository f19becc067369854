"""A test harness for WebSocket servers; knows nothing about any one protocol.

:class:`TestWebSocket` is a client that records every message and waits for
conditions without races; :class:`ServerProcess` starts a server command and
reads the URL it prints.
"""

from wsharness.client import TestWebSocket, send_at_once
from wsharness.errors import (
    ConnectionFailed,
    ConnectionLost,
    HarnessError,
    NotOnItsWay,
    UnexpectedMessage,
    WaitTimeout,
)
from wsharness.matchers import json_containing
from wsharness.process import ServerProcess, ServerStartFailed
from wsharness.records import Data, Event, Received

__all__ = [
    "ConnectionFailed",
    "ConnectionLost",
    "Data",
    "Event",
    "HarnessError",
    "NotOnItsWay",
    "Received",
    "ServerProcess",
    "ServerStartFailed",
    "TestWebSocket",
    "UnexpectedMessage",
    "WaitTimeout",
    "json_containing",
    "send_at_once",
]
