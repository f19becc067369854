"""A server node that shares groups with every node on the same Redis.

:class:`RedisChat` is the cluster's :class:`server.chat.Chat`. It decides what
it can from its own connections (:mod:`server.plan`), asks Redis for the rest through
atomic scripts (:mod:`.store`), delivers posts from other nodes as they arrive
on its pub/sub connection (:mod:`.subscriber`), and keeps itself registered:

- a heartbeat key renewed every third of ``node_timeout``; each heartbeat also
  removes the members of nodes whose heartbeat has expired, so a node that dies
  without a word stops counting within ``node_timeout`` plus a third of it;
- when the broker goes away, group requests get
  ``ERROR: groups are unavailable for now...``, echo keeps working, and
  :meth:`RedisChat.unavailable_reason` says why, for ``/healthz``; the node
  reconnects on its own and registers again every member it holds, so the
  groups come back without anyone reconnecting.

Ordering: a request's broker work (its script, its publish) is finished before
the reply is returned, and the server reads a connection's next request only
after that. An echo is answered only after every post the broker carried to
this node before the echo arrived has been delivered (see :meth:`barrier
<.subscriber.Subscriber.barrier>`). Joining, creating and leaving take effect
on this node in the broker's order too: posts the broker accepted before the
change are delivered as if the change came after them.

Groups are known to Redis, to the subscriptions and to this node's own
membership by their key (:class:`server.commands.GroupName`, the name in NFC),
so two spellings of one name are one group on every node.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import Counter
from typing import Generic

from redis.asyncio import BlockingConnectionPool, Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from server import replies
from server.chat import Deliver
from server.cluster.keys import Keys, decode_post, encode_post
from server.cluster.store import Heartbeat, Store
from server.cluster.subscriber import BrokerLost, Subscriber, one_line
from server.commands import Command, GroupName
from server.membership import Membership
from server.plan import Answer, Claim, Leave, Publish, plan
from server.rules import Conn, Delivery

log = logging.getLogger("chat.cluster")

DEFAULT_NODE_TIMEOUT = 3.0
"""Seconds without a heartbeat after which a node's members are removed."""

POOL_SIZE = 64
"""Most commands in flight to Redis at once; further requests wait their turn."""

_RETRY_FIRST, _RETRY_MOST = 0.1, 1.0
"""Seconds between attempts to reach a lost broker: doubling from the first to the most."""

BrokerFailure = (RedisError, OSError)


def detection_bound(node_timeout: float) -> float:
    """Seconds within which a dead node's members are removed: timeout plus a heartbeat."""
    return node_timeout + node_timeout / 3


class RedisChat(Generic[Conn]):
    """This node's part of a chat shared through Redis at ``url``."""

    subscriber_class = Subscriber

    def __init__(
        self,
        url: str,
        *,
        node_id: str,
        node_timeout: float = DEFAULT_NODE_TIMEOUT,
        keys: Keys | None = None,
    ) -> None:
        self.url = url
        self.node_id = node_id
        self.node_timeout = node_timeout
        self.keys = keys or Keys()
        self._pool: BlockingConnectionPool = BlockingConnectionPool.from_url(
            url,
            max_connections=POOL_SIZE,
            timeout=node_timeout,
            socket_timeout=node_timeout,
            socket_connect_timeout=node_timeout,
            # One attempt each: a failure is the broker's state, and recovery
            # (reconnect, register again) is the supervisor's job, not a retry's.
            retry=Retry(NoBackoff(), 0),
            # RESP2: pub/sub messages come back from read_response() in order with
            # the replies, which the subscriber relies on (RESP3 diverts them).
            protocol=2,
        )
        self.store = Store(
            Redis(connection_pool=self._pool),
            node_id,
            keys=self.keys,
            heartbeat_ms=round(node_timeout * 1000),
        )
        self._deliver: Deliver[Conn] = _deliver_nowhere
        self._local: Membership[Conn] = Membership()
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
    def heartbeat_interval(self) -> float:
        return self.node_timeout / 3

    @property
    def broker(self) -> str:
        """Where the broker is, without any password: ``host:port/db``."""
        kwargs = self._pool.connection_kwargs
        where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
        return f"{where}/{kwargs.get('db', 0)}"

    # The Chat interface.

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
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        if was_up:
            try:
                async with asyncio.timeout(self.node_timeout):
                    removed = await self.store.unregister()
                log.info("left the cluster: removed this node's %s", _members(removed))
            except (*BrokerFailure, TimeoutError) as exc:
                log.warning(
                    "could not leave the cluster (%s): other nodes will remove this node's "
                    "members once its heartbeat expires",
                    one_line(exc),
                )
        elif self._joined:
            log.warning(
                "left without reaching the broker: other nodes will remove this node's "
                "members once its heartbeat expires"
            )
        await self._teardown()
        await self._pool.aclose()

    def connect(self, conn: Conn) -> None:
        self._member_ids[conn] = self.store.member_id(next(self._next_member))

    async def disconnect(self, conn: Conn) -> None:
        member = self._member_ids.pop(conn, None)
        group = self._local.remove(conn)
        if group is None or member is None:
            return
        self._release_if_unused(group.key)
        if not self._up:
            return  # registering again after the broker returns leaves it out
        self._begin()
        try:
            await self.store.leave(member)
        except BrokerFailure as exc:
            self._broker_failed(exc)
        finally:
            self._end()

    async def handle(self, sender: Conn, command: Command) -> list[Delivery[Conn]]:
        step = plan(command, self._local.group_of(sender))
        if isinstance(step, Answer):
            if step.echo:
                await self._barrier_for_echo()
            return [Delivery((sender,), text) for text in step.texts]
        if not self._up:
            return [Delivery((sender,), replies.broker_unavailable())]
        self._begin()
        try:
            match step:
                case Claim():
                    return [Delivery((sender,), await self._claim(sender, step))]
                case Leave(name):
                    return [Delivery((sender,), await self._leave(sender, name))]
                case Publish(name, message):
                    return await self._publish(name.key, message)
        except BrokerFailure as exc:
            # What the broker did is unknown, so nothing changes here; registering
            # again once it is back makes the broker agree with this node.
            self._broker_failed(exc)
            return [Delivery((sender,), replies.broker_unavailable())]
        finally:
            self._end()
        raise TypeError(f"not a step: {step!r}")

    def unavailable_reason(self) -> str | None:
        if self._closing:
            return "this node is shutting down"
        if self._up:
            return None
        return f"broker unreachable: {self._down_reason}"

    # Requests that go through the broker.

    async def _claim(self, sender: Conn, step: Claim) -> str:
        key = step.name.key
        self._reserved[key] += 1
        try:
            granted = await self._claim_in_store(key, self._member_ids[sender], step)
            if granted:
                await self._hear(key)
                old = self._local.move(sender, step.name)
                if old is not None:
                    self._release_if_unused(old.key)
            return step.reply(granted=granted)
        finally:
            self._reserved[key] -= 1
            if not self._reserved[key]:
                del self._reserved[key]
            self._release_if_unused(key)

    async def _claim_in_store(self, key: str, member: str, step: Claim) -> bool:
        """The broker's answer to a create or join (a seam for deliberately broken nodes)."""
        return await self.store.claim(key, member, create=step.create)

    async def _leave(self, sender: Conn, name: GroupName) -> str:
        await self.store.leave(self._member_ids[sender])
        await self._require_subscriber().barrier()  # posts sent before the leave still arrive
        self._local.remove(sender)
        self._release_if_unused(name.key)
        return replies.group_left(name.written)

    async def _publish(self, key: str, message: str) -> list[Delivery[Conn]]:
        await self.store.publish(key, encode_post(self.node_id, message))
        return [Delivery(tuple(self._local.members(key)), message)]

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
        if key in self._subscribed and not self._local.members(key) and not self._reserved[key]:
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
        members = self._local.members(key)
        if members:
            self._deliver(members, message)

    async def _barrier_for_echo(self) -> None:
        subscriber = self._subscriber
        if not self._up or subscriber is None:
            return  # with the broker away, nothing is on its way from it
        try:
            async with asyncio.timeout(self.node_timeout):
                await subscriber.barrier()
        except (BrokerLost, TimeoutError):
            pass  # the supervisor sees the same failure; the echo is answered anyway

    def _require_subscriber(self) -> Subscriber:
        if self._subscriber is None:
            raise BrokerLost("not connected to the broker")
        return self._subscriber

    def _begin(self) -> None:
        self._in_flight += 1
        self._drained.clear()

    def _end(self) -> None:
        self._in_flight -= 1
        if not self._in_flight:
            self._drained.set()

    # Staying connected and registered.

    def _broker_failed(self, exc: BaseException) -> None:
        if self._up:
            self._go_down(one_line(exc))
        self._lost.set()

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
            version = self._local.version
            held = self._local.held()
            await self._register({self._member_ids[conn]: g.key for conn, g in held.items()})
            wanted = {g.key for g in held.values()} | set(self._reserved)
            for key in self._subscribed - wanted:
                subscriber.unsubscribe(self.keys.channel(key))
            new = wanted - self._subscribed
            self._subscribed = wanted
            await asyncio.gather(*(subscriber.subscribe(self.keys.channel(n)) for n in new))
            if reader.done():
                await reader  # raises why the connection failed
            if self._local.version == version:
                break  # nobody moved while registering: the broker agrees with this node
        self._lost.clear()
        counts = f"{_members(len(held))} in {_count(len(wanted), 'group')}"
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
                    _members(count),
                )
            if not beat.renewed:
                raise BrokerLost("the broker had forgotten this node; registering again")
            await asyncio.sleep(self.heartbeat_interval)

    async def _register(self, held: dict[str, str]) -> None:
        """Make the broker hold exactly ``held`` for this node (a seam for broken nodes)."""
        await self.store.register(held)

    async def _beat(self) -> Heartbeat:
        """One heartbeat (a seam for deliberately broken nodes)."""
        return await self.store.heartbeat()

    async def _teardown(self) -> None:
        """Drop the pub/sub connection and every pooled connection."""
        subscriber, self._subscriber = self._subscriber, None
        reader, self._reader = self._reader, None
        self._subscribed.clear()
        if subscriber is not None:
            with contextlib.suppress(*BrokerFailure):
                await subscriber.close()
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, *BrokerFailure):
                await reader
        with contextlib.suppress(*BrokerFailure):
            await self._pool.disconnect(inuse_connections=True)


def _deliver_nowhere(recipients: object, text: str) -> None:
    """Before :meth:`RedisChat.start`, nobody is there to deliver to."""


def _members(n: int) -> str:
    return _count(n, "member")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n:,} {noun}s"
