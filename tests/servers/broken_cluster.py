"""A cluster node with one cluster rule deliberately broken, to prove tests can fail.

``python -m tests.servers.broken_cluster --fault NAME --broker URL --port 0``
runs a node like ``python -m server --broker URL`` (it takes the same options),
except for the one rule its fault breaks. Run every node of a cluster with the
same fault. The ``slow-broker-link`` faults put 50 ms on each read from and each
write to the node's pub/sub connection: ``slow-broker-link`` alone is a correct,
slow node, against which the others show what the echo barrier and the
subscription's confirmation are for.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from websockets.asyncio.server import ServerConnection

from server import cli
from server.chat import GroupName
from server.cluster.keys import encode_post
from server.cluster.node import Node
from server.cluster.scripts import Heartbeat
from server.cluster.subscriber import Subscriber

Conn = ServerConnection


class LocalFanOutOnly(Node[Conn]):
    """A post reaches the members on the sender's node only."""

    async def publish(self, name: GroupName, message: str) -> None:
        with self._broker_work():  # refused while the broker is away, as any post
            return None


class PublishedTwice(Node[Conn]):
    """Every post goes through the broker twice: members on other nodes hear it twice."""

    async def publish(self, name: GroupName, message: str) -> None:
        await self.scripts.publish(name.key, encode_post(self.node_id, message))
        await super().publish(name, message)


class NamesPerNode(Node[Conn]):
    """A name is refused only if it is taken on this node; elsewhere it is joined."""

    async def _claim_in_store(self, key: str, member: str, *, exists: bool) -> bool:
        if not exists and self.local.members(key):
            return False
        if not exists and await self.scripts.group_exists(key):
            return await self.scripts.claim(key, member, exists=True)
        return await super()._claim_in_store(key, member, exists=exists)


CHECK_TO_SET = 0.05
"""Seconds between a check-then-set node's check and its set, as on a slow link to
Redis. On loopback the window is one Redis round trip, tens of microseconds: on a
busy machine the scheduler may run one node's check and set before the other
nodes read their requests, and no test that races a handful of requests can be
sure to land in the window. This width it reliably does."""


class CheckThenSet(Node[Conn]):
    """Creating checks that the name is free, then takes it, in two round trips
    ``CHECK_TO_SET`` apart."""

    async def _claim_in_store(self, key: str, member: str, *, exists: bool) -> bool:
        if not exists:
            if await self.scripts.group_exists(key):
                return False
            await asyncio.sleep(CHECK_TO_SET)
            await self.scripts.redis.sadd(self.keys.group(key), "placeholder")
            joined = await self.scripts.claim(key, member, exists=True)
            await self.scripts.redis.srem(self.keys.group(key), "placeholder")
            return joined
        return await super()._claim_in_store(key, member, exists=exists)


def as_written(name: GroupName) -> GroupName:
    """``name`` keyed by its spelling, not by its NFC form."""
    return GroupName(name.written, name.written)


class NamesNotNormalised(Node[Conn]):
    """Groups are keyed in Redis by their names as written: two spellings of "café"
    that NFC makes equal are two groups."""

    async def claim(self, conn: Conn, name: GroupName, *, exists: bool) -> bool:
        return await super().claim(conn, as_written(name), exists=exists)

    async def publish(self, name: GroupName, message: str) -> None:
        await super().publish(as_written(name), message)


class DeadMembersKept(Node[Conn]):
    """Heartbeats never remove the members of nodes that stopped beating."""

    async def _beat(self) -> Heartbeat:
        renewed = await self.scripts.redis.set(
            self.keys.alive(self.node_id), "1", px=self.scripts.heartbeat_ms, xx=True
        )
        return Heartbeat(bool(renewed), {})


class KeepsMembersOnSigterm(Node[Conn]):
    """SIGTERM closes the clients but leaves their members to the heartbeat's expiry."""

    async def close(self) -> None:
        self._up = False  # so close() skips removing this node's members
        await super().close()


class ForgetsMembersOnReconnect(Node[Conn]):
    """After losing Redis, the node registers none of the members it holds."""

    async def _register(self, held: dict[str, str]) -> None:
        await super()._register(held if not self._joined else {})


class HealthyWithoutBroker(Node[Conn]):
    """/healthz answers 200 even while Redis is unreachable."""

    def unavailable_reason(self) -> str | None:
        return None


class NoEchoBarrier(Node[Conn]):
    """Echoes are answered at once, before posts already on their way are delivered."""

    async def barrier(self) -> None:
        return


class SlowSubscriber(Subscriber):
    """Takes 50 ms over each message or reply from the broker, and over each
    batch of commands to it, in order."""

    async def _read_one(self) -> Any:
        response = await super()._read_one()
        await asyncio.sleep(0.05)
        return response

    async def _send(self, commands: list[tuple[bytes | str, ...]]) -> None:
        await asyncio.sleep(0.05)
        await super()._send(commands)


class SlowBrokerLink(Node[Conn]):
    """Correct, on a slow link from the broker: posts from other nodes arrive late."""

    subscriber_class = SlowSubscriber


class SlowBrokerLinkNoEchoBarrier(SlowBrokerLink, NoEchoBarrier):
    """On a slow link, echoes are answered before posts on their way are delivered."""


class SlowBrokerLinkJoinedEarly(SlowBrokerLink):
    """On a slow link, GROUP_JOINED is sent before Redis has confirmed the subscription."""

    async def _hear(self, key: str) -> None:
        if key not in self._subscribed:
            self._subscribed.add(key)
            subscribing = asyncio.ensure_future(
                self._require_subscriber().subscribe(self.keys.channel(key))
            )
            subscribing.add_done_callback(lambda done: done.cancelled() or done.exception())


class SlowBrokerLinkPublishedTwice(SlowBrokerLink, PublishedTwice):
    """On a slow link, every post goes through the broker twice: the second copy
    reaches other nodes late, but before the echo barrier that follows it."""


class SlowBrokerLinkPublishedTwiceNoEchoBarrier(SlowBrokerLinkPublishedTwice, NoEchoBarrier):
    """The same, with echoes answered at once: round trips alone miss the late copy."""


FAULTS: dict[str, type[Node[Conn]]] = {
    "none": Node,
    "local-fan-out-only": LocalFanOutOnly,
    "published-twice": PublishedTwice,
    "names-per-node": NamesPerNode,
    "check-then-set": CheckThenSet,
    "names-not-normalised": NamesNotNormalised,
    "dead-members-kept": DeadMembersKept,
    "no-echo-barrier": NoEchoBarrier,
    "keeps-members-on-sigterm": KeepsMembersOnSigterm,
    "forgets-members-on-reconnect": ForgetsMembersOnReconnect,
    "healthy-without-broker": HealthyWithoutBroker,
    "slow-broker-link": SlowBrokerLink,
    "slow-broker-link-no-echo-barrier": SlowBrokerLinkNoEchoBarrier,
    "slow-broker-link-joined-early": SlowBrokerLinkJoinedEarly,
    "slow-broker-link-published-twice": SlowBrokerLinkPublishedTwice,
    "slow-broker-link-published-twice-no-echo-barrier": SlowBrokerLinkPublishedTwiceNoEchoBarrier,
}


def main() -> None:
    faults = argparse.ArgumentParser(prog="python -m tests.servers.broken_cluster", add_help=False)
    faults.add_argument("--fault", choices=sorted(FAULTS), required=True)
    fault, server_options = faults.parse_known_args()
    # every other option as python -m server takes it; the log lines name the node's class
    sys.exit(cli.main(server_options, node_class=FAULTS[fault.fault]))


if __name__ == "__main__":
    main()
