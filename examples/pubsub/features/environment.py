"""behave hooks: the step library's, told how pubsub.v1 makes a round trip.

A ping comes back as a pong only after the server has done everything the
connection asked for before, so "nothing else" is proven by pings, not by
waiting. The server, token and subprotocol come from the run's options:
``-D server_url=... -D auth_token=... -D subprotocols=pubsub.v1``.
"""

import json

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


configure(adapter=PubSub())
