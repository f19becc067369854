"""A node of a cluster: the chat's store (:class:`server.chat.Store`), shared with
every node on the same Redis (``python -m server --broker URL``).

:class:`Node` changes the shared groups through atomic scripts (:mod:`.scripts`), keeps
its own members in a :class:`~server.chat.Membership` to deliver the posts its pub/sub
connection brings (:mod:`.subscriber`), and keeps itself registered: a heartbeat every
third of ``node_timeout`` also removes the members of nodes whose heartbeat expired.
While the broker is away, group requests get an error, echo still works, ``/healthz``
says why, and on its return the node registers every member it holds again.

Ordering: a request's broker work is done before its reply, and a connection's next
request is read only after that; an echo waits until every post the broker carried here
before it is delivered, and a join or leave takes effect in the broker's order too.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import Counter
from collections.abc import Iterator
from typing import Generic

from redis.asyncio import BlockingConnectionPool, Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from server.chat import Conn, Deliver, GroupName, Membership, Unavailable
from server.cluster.keys import Keys, decode_post, encode_post
from server.cluster.scripts import Heartbeat, Scripts
from server.cluster.subscriber import BrokerLost, Subscriber, cancel_and_wait, one_line
from server.limits import DEFAULT_NODE_TIMEOUT

log = logging.getLogger("chat.cluster")

POOL_SIZE = 64
"""Most commands in flight to Redis at once; further requests wait their turn."""

_RETRY_FIRST, _RETRY_MOST = 0.1, 1.0
"""Seconds between attempts to reach a lost broker: doubling from the first to the most."""

BrokerFailure = (RedisError, OSError)

_LEFT_TO_OTHERS = "other nodes will remove this node's members once its heartbeat expires"


def detection_bound(node_timeout: float) -> float:
    """Seconds within which a dead node's members are removed: timeout plus a heartbeat."""
    return node_timeout + node_timeout / 3


class Node(Generic[Conn]):
    """This node's part of a chat shared through Redis at ``url``."""

    subscriber_class = Subscriber

    def __init__(
        self, url: str, *, node_id: str, node_timeout: float = DEFAULT_NODE_TIMEOUT
    ) -> None:
        self.node_id = node_id
        self.node_timeout = node_timeout
        self.heartbeat_interval = node_timeout / 3
        self.keys = Keys()
        self._pool = _pool(url, node_timeout)
        self.scripts = Scripts(
            Redis(connection_pool=self._pool),
            node_id,
            keys=self.keys,
            heartbeat_ms=round(node_timeout * 1000),
        )
        self._deliver: Deliver[Conn] = _deliver_nowhere
        self.local: Membership[Conn] = Membership()
        """This node's own members and their groups."""
        self._member_ids: dict[Conn, str] = {}
        self._next_member = itertools.count(1)
        self._reserved: Counter[str] = Counter()
        """Keys of groups being joined on this node: their subscription must stay."""
        self._subscribed: set[str] = set()
        """Keys of groups this node has asked to hear (confirmed or about to be)."""
        self._subscriber: Subscriber | None = None
        self._reader: asyncio.Task[None] | None = None
        self._up = False
        self._closing = False
        self._down_reason = "not connected to the broker yet"
        self._down_since = time.monotonic()
        self._lost = asyncio.Event()
        self._in_flight = 0
        self._drained = asyncio.Event()
        self._drained.set()
        self._first_attempt = asyncio.Event()
        self._joined = False
        self._supervisor: asyncio.Task[None] | None = None

    @property
    def broker(self) -> str:
        """Where the broker is, without any password: ``host:port/db``."""
        kwargs = self._pool.connection_kwargs
        where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
        return f"{where}/{kwargs.get('db', 0)}"

    # The store's part (server.chat.Store).

    async def start(self, deliver: Deliver[Conn]) -> None:
        """Connect and register (one attempt, bounded); keep trying in the background."""
        self._deliver = deliver
        self._supervisor = asyncio.create_task(self._supervise(), name="broker supervisor")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.node_timeout * 2):
                await self._first_attempt.wait()

    async def close(self) -> None:
        """Remove every member of this node from the cluster at once; stop."""
        self._closing = True
        was_up, self._up = self._up, False
        await cancel_and_wait(self._supervisor)
        if was_up:
            try:
                async with asyncio.timeout(self.node_timeout):
                    removed = await self.scripts.unregister()
                log.info("left the cluster: removed this node's %s", _count(removed, "member"))
            except (*BrokerFailure, TimeoutError) as exc:
                log.warning("could not leave the cluster (%s): %s", one_line(exc), _LEFT_TO_OTHERS)
        elif self._joined:
            log.warning("left without reaching the broker: %s", _LEFT_TO_OTHERS)
        await self._teardown()
        await self._pool.aclose()

    def unavailable_reason(self) -> str | None:
        if self._closing:
            return "this node is shutting down"
        if self._up:
            return None
        return f"broker unreachable: {self._down_reason}"

    def connect(self, conn: Conn) -> None:
        self._member_ids[conn] = self.scripts.member_id(next(self._next_member))

    async def disconnect(self, conn: Conn) -> None:
        member = self._member_ids.pop(conn, None)
        group = self.local.remove(conn)
        if group is None or member is None:
            return
        self._release_if_unused(group.key)
        # Down, or failing now: registering again once the broker is back leaves it out.
        with contextlib.suppress(Unavailable), self._broker_work():
            await self.scripts.leave(member)

    async def claim(self, conn: Conn, name: GroupName, *, exists: bool) -> bool:
        key = name.key
        with self._broker_work():
            self._reserved[key] += 1
            try:
                granted = await self._claim_in_store(key, self._member_ids[conn], exists=exists)
                if granted:
                    await self._hear(key)
                    old = self.local.move(conn, name)
                    if old is not None:
                        self._release_if_unused(old.key)
                return granted
            finally:
                self._reserved -= Counter([key])  # and drops it at 0
                self._release_if_unused(key)

    async def leave(self, conn: Conn) -> None:
        with self._broker_work():
            await self.scripts.leave(self._member_ids[conn])
            await self._require_subscriber().barrier()  # posts sent before the leave still arrive
            old = self.local.remove(conn)
            if old is not None:
                self._release_if_unused(old.key)

    async def publish(self, name: GroupName, message: str) -> None:
        with self._broker_work():
            await self.scripts.publish(name.key, encode_post(self.node_id, message))

    async def barrier(self) -> None:
        """Return once the posts the broker carried here before now are delivered;
        at once while the broker is away, as nothing is on its way from it then."""
        subscriber = self._subscriber
        if not self._up or subscriber is None:
            return
        try:
            async with asyncio.timeout(self.node_timeout):
                await subscriber.barrier()
        except (BrokerLost, TimeoutError):
            pass  # the supervisor sees the same failure; the echo is answered anyway

    # Requests that go through the broker.

    @contextlib.contextmanager
    def _broker_work(self) -> Iterator[None]:
        """One request's work with the broker, refused while it is away. If it fails,
        nothing changes here: registering again makes the broker agree with this node."""
        if not self._up:
            raise Unavailable(self._down_reason)
        self._in_flight += 1
        self._drained.clear()
        try:
            yield
        except BrokerFailure as exc:
            if self._up:
                self._go_down(one_line(exc))
            self._lost.set()  # the supervisor reconnects
            raise Unavailable(one_line(exc)) from exc
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._drained.set()

    async def _claim_in_store(self, key: str, member: str, *, exists: bool) -> bool:
        """The broker's answer to a claim (a seam for deliberately broken nodes)."""
        return await self.scripts.claim(key, member, exists=exists)

    async def _hear(self, key: str) -> None:
        """Return once this node will surely receive every later post to the group
        ``key``, and has delivered every earlier one."""
        subscriber = self._require_subscriber()
        if key in self._subscribed:
            await subscriber.barrier()
        else:
            self._subscribed.add(key)
            await subscriber.subscribe(self.keys.channel(key))

    def _release_if_unused(self, key: str) -> None:
        if key in self._subscribed and not self.local.members(key) and not self._reserved[key]:
            self._subscribed.discard(key)
            if self._subscriber is not None:
                self._subscriber.unsubscribe(self.keys.channel(key))

    def _on_post(self, channel: bytes, payload: bytes) -> None:
        """A post from the broker: deliver it to this node's members of its group."""
        try:
            key = self.keys.group_of_channel(channel)
            sender_node, message = decode_post(payload)
        except UnicodeDecodeError:
            log.warning("ignored a post that is not UTF-8 on %r", channel)
            return
        if key is None or sender_node == self.node_id:
            return  # the sending node delivered its own members' copies already
        self._deliver(self.local.members(key), message)

    def _require_subscriber(self) -> Subscriber:
        if self._subscriber is None:
            raise BrokerLost("not connected to the broker")
        return self._subscriber

    # Staying connected and registered.

    def _go_down(self, reason: str) -> None:
        if self._up:
            log.warning("broker lost: %s; group requests get an error until it is back", reason)
            self._down_since = time.monotonic()
        self._up = False
        self._down_reason = reason

    async def _supervise(self) -> None:
        delay = _RETRY_FIRST
        while True:
            try:
                await self._connect()
                delay = _RETRY_FIRST
                await self._watch()
            except (*BrokerFailure, TimeoutError) as exc:
                reason = one_line(exc)
            if not self._first_attempt.is_set():
                log.warning("broker %s unreachable: %s; retrying", self.broker, reason)
            else:
                log.debug("broker %s still unreachable: %s", self.broker, reason)
            self._go_down(reason)
            self._first_attempt.set()
            await self._teardown()
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RETRY_MOST, self.heartbeat_interval)

    async def _connect(self) -> None:
        """Open the pub/sub connection, register what this node holds, subscribe; go up."""
        connection = self._pool.make_connection()  # type: ignore[no-untyped-call]
        await connection.connect()
        subscriber = self._subscriber = self.subscriber_class(connection, self._on_post)
        reader = self._reader = asyncio.create_task(subscriber.run(), name="broker reader")
        await self._drained.wait()  # requests begun before a loss have all failed by now
        while True:
            version = self.local.version
            held = self.local.held()
            await self._register({self._member_ids[conn]: g.key for conn, g in held.items()})
            wanted = {g.key for g in held.values()} | set(self._reserved)
            for key in self._subscribed - wanted:
                subscriber.unsubscribe(self.keys.channel(key))
            new = wanted - self._subscribed
            self._subscribed = wanted
            await asyncio.gather(*(subscriber.subscribe(self.keys.channel(n)) for n in new))
            if reader.done():
                await reader  # raises why the connection failed
            if self.local.version == version:
                break  # nobody moved while registering: the broker agrees with this node
        self._lost.clear()
        counts = f"{_count(len(held), 'member')} in {_count(len(wanted), 'group')}"
        if not self._joined:
            log.info("joined the cluster on broker %s: registered %s", self.broker, counts)
            self._joined = True
        else:
            down_for = time.monotonic() - self._down_since
            log.info("broker back after %.1f s: registered %s again", down_for, counts)
        self._up = True
        self._first_attempt.set()

    async def _watch(self) -> None:
        """Heartbeat until the reader, a heartbeat or a request finds the broker gone."""
        assert self._reader is not None
        heartbeat = asyncio.create_task(self._heartbeat_forever(), name="broker heartbeat")
        lost = asyncio.create_task(self._lost.wait())
        try:
            done, _ = await asyncio.wait(
                {self._reader, heartbeat, lost}, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            heartbeat.cancel()
            lost.cancel()
        for task in (self._reader, heartbeat):
            if task in done:
                await task  # raises why it stopped
        raise BrokerLost(self._down_reason)

    async def _heartbeat_forever(self) -> None:
        while True:
            beat = await self._beat()
            for node, count in beat.swept.items():
                log.warning(
                    "node %s stopped heartbeating: removed its %s from their groups",
                    node,
                    _count(count, "member"),
                )
            if not beat.renewed:
                raise BrokerLost("the broker had forgotten this node; registering again")
            await asyncio.sleep(self.heartbeat_interval)

    async def _register(self, held: dict[str, str]) -> None:
        """Make the broker hold exactly ``held`` for this node (a seam for broken nodes)."""
        await self.scripts.register(held)

    async def _beat(self) -> Heartbeat:
        """One heartbeat (a seam for deliberately broken nodes)."""
        return await self.scripts.heartbeat()

    async def _teardown(self) -> None:
        """Drop the pub/sub connection and every pooled connection."""
        subscriber, self._subscriber = self._subscriber, None
        reader, self._reader = self._reader, None
        self._subscribed.clear()
        if subscriber is not None:
            with contextlib.suppress(*BrokerFailure):
                await subscriber.close()
        await cancel_and_wait(reader)
        with contextlib.suppress(*BrokerFailure):
            await self._pool.disconnect(inuse_connections=True)


def _pool(url: str, timeout: float) -> BlockingConnectionPool:
    """Connections to the broker, each given ``timeout`` seconds for anything."""
    return BlockingConnectionPool.from_url(
        url,
        max_connections=POOL_SIZE,
        timeout=timeout,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        # One attempt each: a failure is the broker's state, and recovery
        # (reconnect, register again) is the supervisor's job, not a retry's.
        retry=Retry(NoBackoff(), 0),
        # RESP2: pub/sub messages come back from read_response() in order with
        # the replies, which the subscriber relies on (RESP3 diverts them).
        protocol=2,
    )


def _deliver_nowhere(recipients: object, text: str) -> None:
    """Before :meth:`Node.start`, nobody is there to deliver to."""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n:,} {noun}s"
