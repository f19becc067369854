"""The cluster's shared state in Redis: every change is one atomic Lua script.

Redis runs a script as one step, with nothing else in between: when two nodes create
one name at the same moment, exactly one finds the group's set missing, with no
check-then-set window for a race. A script does what it is told and decides nothing
(the rules are in :mod:`server.chat`); the data model is in :mod:`.keys`. The scripts
name keys they build themselves (a member's old group, a dead node's groups), which one
Redis allows and Redis Cluster does not: the chat needs one Redis, not a Redis Cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from server.cluster.keys import Keys

_CLAIM = """
-- KEYS: group, node, nodes. ARGV: member, group key, node id, exists, group prefix.
-- Moves the member only if the group's existence (1 or 0) is as told.
if redis.call('EXISTS', KEYS[1]) ~= tonumber(ARGV[4]) then
  return 0
end
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then
  redis.call('SREM', ARGV[5] .. old, ARGV[1])
end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
return 1
"""

_LEAVE = """
-- KEYS: node. ARGV: member, group prefix. Returns the group left, or nil.
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  redis.call('SREM', ARGV[2] .. old, ARGV[1])
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return old
"""

_RELEASE = """
-- Takes every member a node's hash holds out of its group's set and deletes the
-- hash; returns how many members it held. Scripts prepends this to _REGISTER,
-- _UNREGISTER and _HEARTBEAT, which call it.
local function release(node_key, group_prefix)
  local held = redis.call('HGETALL', node_key)
  for i = 1, #held, 2 do
    redis.call('SREM', group_prefix .. held[i + 1], held[i])
  end
  redis.call('DEL', node_key)
  return #held / 2
end
"""

_REGISTER = """
-- KEYS: node, alive, nodes. ARGV: group prefix, node id, heartbeat ms,
-- then member, group, member, group, ...
-- Replaces whatever the node had registered with what it holds now.
release(KEYS[1], ARGV[1])
for i = 4, #ARGV, 2 do
  redis.call('SADD', ARGV[1] .. ARGV[i + 1], ARGV[i])
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
"""

_UNREGISTER = """
-- KEYS: node, alive, nodes. ARGV: group prefix, node id.
local removed = release(KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[2])
return removed
"""

_HEARTBEAT = """
-- KEYS: alive, nodes. ARGV: heartbeat ms, alive prefix, node prefix, group prefix.
-- Renews this node's heartbeat (only if it still exists), then removes the
-- members of every node whose heartbeat has expired.
-- Returns {1 if renewed else 0, {dead node, members removed, ...}}.
local renewed = redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'XX')
local swept = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[2] .. node) == 0 then
    local removed = release(ARGV[3] .. node, ARGV[4])
    redis.call('SREM', KEYS[2], node)
    table.insert(swept, node)
    table.insert(swept, removed)
  end
end
return {renewed and 1 or 0, swept}
"""


@dataclass(frozen=True)
class Heartbeat:
    """What one heartbeat found."""

    renewed: bool
    """False if Redis had forgotten this node (restarted, flushed, or the node
    was presumed dead and swept): it must register again."""
    swept: dict[str, int]
    """Dead nodes whose members this heartbeat removed, and how many each had."""


class Scripts:
    """One node's changes to the shared state: each method is one round trip."""

    def __init__(self, redis: Redis, node_id: str, *, keys: Keys, heartbeat_ms: int) -> None:
        self.redis = redis
        self.node_id = node_id
        self.keys = keys
        self.heartbeat_ms = heartbeat_ms
        self._own_keys = [keys.node(node_id), keys.alive(node_id), keys.nodes]
        """The keys the scripts that register and unregister this node take."""
        self._claim = redis.register_script(_CLAIM)
        self._leave = redis.register_script(_LEAVE)
        self._register = redis.register_script(_RELEASE + _REGISTER)
        self._unregister = redis.register_script(_RELEASE + _UNREGISTER)
        self._heartbeat = redis.register_script(_RELEASE + _HEARTBEAT)

    def member_id(self, n: int) -> str:
        """The id of this node's ``n``-th connection."""
        return f"{self.node_id}:{n}"

    async def claim(self, key: str, member: str, *, exists: bool) -> bool:
        """Move ``member`` into the group ``key``, out of its old group, if the group's
        existence is ``exists``; True if done."""
        keys = self.keys
        done = await self._claim(
            keys=[keys.group(key), keys.node(self.node_id), keys.nodes],
            args=[member, key, self.node_id, int(exists), keys.group_prefix],
        )
        return bool(done)

    async def leave(self, member: str) -> None:
        """Take ``member`` out of its group, if it is in one; an empty group is freed."""
        keys = self.keys
        await self._leave(keys=[keys.node(self.node_id)], args=[member, keys.group_prefix])

    async def publish(self, key: str, payload: bytes) -> None:
        """Send a post to every node subscribed to the group ``key``."""
        await self.redis.publish(self.keys.channel(key), payload)

    async def register(self, held: Mapping[str, str]) -> None:
        """Make Redis hold exactly ``held`` (member id -> group key) for this node, alive."""
        pairs = [text for member_and_group in held.items() for text in member_and_group]
        args: list[str | int] = [self.keys.group_prefix, self.node_id, self.heartbeat_ms, *pairs]
        await self._register(keys=self._own_keys, args=args)

    async def unregister(self) -> int:
        """Remove this node and all its members at once; return how many it had."""
        args = [self.keys.group_prefix, self.node_id]
        return int(await self._unregister(keys=self._own_keys, args=args))

    async def heartbeat(self) -> Heartbeat:
        """Renew this node's heartbeat and sweep the members of dead nodes."""
        keys = self.keys
        renewed, swept = await self._heartbeat(
            keys=[keys.alive(self.node_id), keys.nodes],
            args=[self.heartbeat_ms, keys.alive_prefix, keys.node_prefix, keys.group_prefix],
        )
        return Heartbeat(bool(renewed), _pairs(swept))

    async def group_exists(self, key: str) -> bool:
        """Whether the group ``key`` exists now (a snapshot: never decide a change on it)."""
        return bool(await self.redis.exists(self.keys.group(key)))


def _pairs(flat: list[Any]) -> dict[str, int]:
    """``[b"node", count, ...]`` (replies are bytes: nothing asks redis to decode them)."""
    return {flat[i].decode(): int(flat[i + 1]) for i in range(0, len(flat), 2)}
