"""The cluster's state in a real Redis: each change one atomic script.

Every test uses its own key prefix, so they share one redis-server.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from redis.asyncio import Redis

from acceptance.testbed import RedisServer
from server.cluster.keys import Keys
from server.cluster.scripts import Scripts
from tests.cluster_checks import need_redis_server

need_redis_server()

NODE_TIMEOUT_MS = 3000


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with RedisServer() as redis:
        yield redis.url


@asynccontextmanager
async def stores(url: str, *node_ids: str) -> AsyncIterator[list[Scripts]]:
    """One store per node, each with its own connections, under a fresh prefix."""
    keys = Keys(f"test-{uuid.uuid4().hex[:8]}:")
    clients = [Redis.from_url(url, protocol=2) for _ in node_ids]
    try:
        yield [
            Scripts(client, node, keys=keys, heartbeat_ms=NODE_TIMEOUT_MS)
            for client, node in zip(clients, node_ids, strict=True)
        ]
    finally:
        for client in clients:
            await client.aclose()


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(test())


async def members(store: Scripts, name: str) -> set[str]:
    found = await store.redis.smembers(store.keys.group(name))
    return {m.decode() if isinstance(m, bytes) else m for m in found}


def test_two_nodes_creating_one_name_at_once_give_exactly_one_creator(redis_url: str) -> None:
    """200 rounds of two simultaneous creates of a fresh name: one winner every time."""

    async def test() -> None:
        async with stores(redis_url, "aaaaaaaa", "bbbbbbbb") as (a, b):
            for round_ in range(200):
                name = f"race {round_}"
                won = await asyncio.gather(
                    a.claim(name, a.member_id(1), exists=False),
                    b.claim(name, b.member_id(1), exists=False),
                )
                assert sorted(won) == [False, True], f"round {round_}: {won}"

    run(test)


def test_checking_then_setting_from_python_would_give_two_creators(redis_url: str) -> None:
    """The control for the test above: the same race, decided by a check and then a
    set from Python, crowns both nodes, so the test above can tell the difference."""

    async def test() -> None:
        async with stores(redis_url, "aaaaaaaa", "bbbbbbbb") as (a, b):

            async def check_then_set(store: Scripts, name: str) -> bool:
                if await store.redis.exists(store.keys.group(name)):
                    return False
                await store.redis.sadd(store.keys.group(name), store.member_id(1))
                return True

            doubles = 0
            for round_ in range(20):
                name = f"race {round_}"
                won = await asyncio.gather(check_then_set(a, name), check_then_set(b, name))
                doubles += all(won)
            assert doubles > 0

    run(test)


def test_creating_moves_the_member_and_frees_the_group_it_leaves(redis_url: str) -> None:
    async def test() -> None:
        async with stores(redis_url, "aaaaaaaa") as (a,):
            alice = a.member_id(1)
            assert await a.claim("g", alice, exists=False)
            assert await a.claim("h", alice, exists=False)
            assert await members(a, "h") == {alice}
            assert not await a.group_exists("g")
            assert not await a.claim("g", a.member_id(2), exists=True)  # freed: cannot join

    run(test)


def test_joining_needs_the_group_and_leaving_the_last_member_frees_it(redis_url: str) -> None:
    async def test() -> None:
        async with stores(redis_url, "aaaaaaaa", "bbbbbbbb") as (a, b):
            alice, bob = a.member_id(1), b.member_id(1)
            assert not await b.claim("g", bob, exists=True)
            assert await a.claim("g", alice, exists=False)
            assert await b.claim("g", bob, exists=True)
            assert not await b.claim("g", b.member_id(2), exists=False)
            await a.leave(alice)
            assert await members(a, "g") == {bob}
            await b.leave(bob)
            assert not await a.group_exists("g")
            await b.leave(bob)  # leaving twice changes nothing

    run(test)


def test_a_heartbeat_removes_the_members_of_a_node_whose_heartbeat_expired(
    redis_url: str,
) -> None:
    """Deleting the heartbeat key stands in for its expiry, without waiting for it."""

    async def test() -> None:
        async with stores(redis_url, "aaaaaaaa", "bbbbbbbb") as (a, b):
            await a.register({})
            await b.register({})
            alice, bob, carol = a.member_id(1), b.member_id(1), b.member_id(2)
            assert await a.claim("g", alice, exists=False)
            assert await b.claim("g", bob, exists=True)
            assert await b.claim("lonely", carol, exists=False)
            beat = await a.heartbeat()
            assert beat.renewed and beat.swept == {}
            await b.redis.delete(b.keys.alive("bbbbbbbb"))
            beat = await a.heartbeat()
            assert beat.renewed and beat.swept == {"bbbbbbbb": 2}
            assert await members(a, "g") == {alice}
            assert not await a.group_exists("lonely")
            assert (await a.heartbeat()).swept == {}  # swept once

    run(test)


def test_the_heartbeat_key_expires_after_the_node_timeout(redis_url: str) -> None:
    async def test() -> None:
        async with stores(redis_url, "aaaaaaaa") as (a,):
            await a.register({})
            ttl = await a.redis.pttl(a.keys.alive("aaaaaaaa"))
            assert 0 < ttl <= NODE_TIMEOUT_MS

    run(test)


def test_a_node_learns_that_the_broker_forgot_it(redis_url: str) -> None:
    """After a restart or a sweep the heartbeat is not renewed: the node must register."""

    async def test() -> None:
        async with stores(redis_url, "aaaaaaaa") as (a,):
            await a.register({})
            await a.redis.delete(a.keys.alive("aaaaaaaa"))
            assert not (await a.heartbeat()).renewed
            await a.register({})
            assert (await a.heartbeat()).renewed

    run(test)


def test_registering_replaces_what_the_node_held(redis_url: str) -> None:
    async def test() -> None:
        async with stores(redis_url, "aaaaaaaa", "bbbbbbbb") as (a, b):
            alice, bob, dave = a.member_id(1), a.member_id(2), b.member_id(1)
            await a.register({alice: "g", bob: "g"})
            assert await b.claim("g", dave, exists=True)
            await a.register({alice: "h"})
            assert await members(a, "g") == {dave}
            assert await members(a, "h") == {alice}

    run(test)


def test_registering_brings_groups_back_after_redis_lost_everything(redis_url: str) -> None:
    async def test() -> None:
        async with stores(redis_url, "aaaaaaaa", "bbbbbbbb") as (a, b):
            alice, bob = a.member_id(1), b.member_id(1)
            await a.register({alice: "g"})
            await b.register({bob: "g"})
            await a.redis.delete(*await a.redis.keys(a.keys.prefix + "*"))  # as a restart would
            assert not await a.group_exists("g")
            await a.register({alice: "g"})
            await b.register({bob: "g"})
            assert await members(a, "g") == {alice, bob}
            assert not await b.claim("g", b.member_id(2), exists=False)

    run(test)


def test_unregistering_removes_every_member_of_the_node_at_once(redis_url: str) -> None:
    async def test() -> None:
        async with stores(redis_url, "aaaaaaaa", "bbbbbbbb") as (a, b):
            await a.register({a.member_id(1): "g", a.member_id(2): "h"})
            await b.register({b.member_id(1): "g"})
            assert await a.unregister() == 2
            assert not await a.group_exists("h")
            assert await members(a, "g") == {b.member_id(1)}
            assert (await b.heartbeat()).swept == {}  # nothing left to sweep

    run(test)
