"""A protocol-neutral behave step library on top of :mod:`wsharness`.

Named people ("Alice", "Bob") connect to the server under test, send messages and check
what they receive, in sentences a product owner can read; a :class:`ProtocolAdapter`
tells the library what it cannot know about a protocol (the defaults work for any). A
project imports the hooks into its ``environment.py`` (``from wsharness.bdd.environment
import *``) and the steps into a module of its ``steps/`` folder (``from
wsharness.bdd.steps import *``); see the README, "Testing your own WebSocket server".
"""

from wsharness.bdd.adapter import ProtocolAdapter, RoundTrip
from wsharness.bdd.cast import Cast, Participant, UniqueNames
from wsharness.bdd.health import HttpHealthCheck
from wsharness.bdd.options import ConnectionOptions
from wsharness.bdd.registry import Setting
from wsharness.bdd.setup import SuiteServer, configure
from wsharness.bdd.target import Target

__all__ = [
    "Cast",
    "ConnectionOptions",
    "HttpHealthCheck",
    "Participant",
    "ProtocolAdapter",
    "RoundTrip",
    "Setting",
    "SuiteServer",
    "Target",
    "UniqueNames",
    "configure",
]
