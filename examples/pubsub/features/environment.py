"""behave hooks: the step library's, told how pubsub.v1 makes a round trip, and its contract.

A ping comes back as a pong only after the server has done everything the
connection asked for before, so "nothing else" is proven by pings, not by
waiting. Every frame is checked against ``../asyncapi.yaml``: a field the
server sends that the contract does not have, or of the wrong type, fails the
step, even where the step looks at other fields. The server, token and
subprotocol come from the run's options:
``-D server_url=... -D auth_token=... -D subprotocols=pubsub.v1``.
"""

import json
from pathlib import Path

from wsharness import json_containing
from wsharness.bdd import ProtocolAdapter, RoundTrip, configure
from wsharness.bdd.environment import *  # noqa: F403


class PubSub(ProtocolAdapter):
    name = "pubsub.v1"

    def round_trip(self, token: str) -> RoundTrip:
        return RoundTrip(
            request=json.dumps({"op": "ping", "ref": token}),
            reply=json_containing({"op": "pong", "ref": token}),
        )


configure(adapter=PubSub(), contract=Path(__file__).resolve().parent.parent / "asyncapi.yaml")
