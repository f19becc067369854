"""A protocol-neutral behave step library on top of :mod:`wsharness`.

Named people ("Alice", "Bob") connect to the server under test, send text,
JSON and binary messages, and check what they receive, in sentences a product
owner can read. What the library needs to know about a particular protocol
(how to prove that nothing else is on its way, names to make unique) comes
from a :class:`ProtocolAdapter`; the defaults work for any protocol.

In a project's ``environment.py``::

    from wsharness.bdd.environment import *  # noqa: F403

and in a module of its ``steps/`` folder::

    from wsharness.bdd.steps import *  # noqa: F403

See the README section "Testing your own WebSocket server".
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
