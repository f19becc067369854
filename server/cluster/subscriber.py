"""A node's one pub/sub connection to Redis: posts in; subscriptions and barriers out.

Redis answers one connection's commands in order and writes a post to subscribers when
it runs the ``PUBLISH``, so the reply to a command sent at time T comes after every post
accepted before T. Hence :meth:`Subscriber.subscribe` returns once every later post will
arrive, and :meth:`Subscriber.barrier` once every earlier one is dispatched. One writer
task sends the commands in order, so replies match them first in, first out.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import deque
from collections.abc import Callable
from typing import Any

from redis.asyncio.connection import AbstractConnection

OnPost = Callable[[bytes, bytes], None]
"""Called with (channel, payload) for each message, in arrival order."""


class BrokerLost(ConnectionError):
    """The pub/sub connection failed or was closed; the reason is one line."""


class Subscriber:
    """Reads one pub/sub connection and writes its commands, in order."""

    def __init__(self, connection: AbstractConnection, on_post: OnPost) -> None:
        self._connection = connection
        self._on_post = on_post
        self._replies: deque[asyncio.Future[None]] = deque()
        """One future per command written or queued, oldest first."""
        self._outgoing: list[tuple[bytes | str, ...]] = []
        self._queued: list[asyncio.Future[None]] = []
        self._wake_writer = asyncio.Event()
        self._failure: BaseException | None = None

    async def run(self) -> None:
        """Read and write until the connection fails; then raise :class:`BrokerLost`."""
        writer = asyncio.create_task(self._write_forever())
        try:
            await self._read_forever()
        except Exception as exc:  # redis-py's ConnectionError, TimeoutError, an OSError...
            raise BrokerLost(one_line(self._failure or exc)) from exc
        finally:
            await cancel_and_wait(writer)
            self._fail_pending()

    async def subscribe(self, channel: bytes) -> None:
        """Subscribe to ``channel``; return once Redis has confirmed it."""
        await self._request("SUBSCRIBE", channel)

    def unsubscribe(self, channel: bytes) -> None:
        """Unsubscribe from ``channel`` after everything asked for before."""
        self._request("UNSUBSCRIBE", channel)

    async def barrier(self) -> None:
        """Return once every post Redis accepted before this call has been dispatched."""
        if self._queued:  # a command not yet written will do: its reply comes later
            await asyncio.shield(self._queued[-1])
        else:
            await self._request("PING")

    async def close(self) -> None:
        """Close the connection; :meth:`run` then raises."""
        await self._connection.disconnect(nowait=True)

    def _request(self, *command: bytes | str) -> asyncio.Future[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.add_done_callback(_ignore_failure)
        if self._failure is not None:
            done.set_exception(BrokerLost(one_line(self._failure)))
            return done
        self._outgoing.append(command)
        self._queued.append(done)
        self._replies.append(done)
        self._wake_writer.set()
        return done

    async def _write_forever(self) -> None:
        try:
            while True:
                await self._wake_writer.wait()
                self._wake_writer.clear()
                commands, self._outgoing, self._queued = self._outgoing, [], []
                await self._send(commands)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._failure = exc
            await self._connection.disconnect(nowait=True)  # the reader fails next

    async def _send(self, commands: list[tuple[bytes | str, ...]]) -> None:
        """Write ``commands`` in one go (a seam for a deliberately slow link)."""
        connection = self._connection
        await connection.send_packed_command(connection.pack_commands(commands), check_health=False)

    async def _read_forever(self) -> None:
        on_post = self._on_post
        replies = self._replies
        while True:
            response = await self._read_one()
            if isinstance(response, list) and response and response[0] == b"message":
                on_post(response[1], response[2])
            elif replies:  # subscribe, unsubscribe or pong, in the order asked
                done = replies.popleft()
                if not done.done():
                    done.set_result(None)

    async def _read_one(self) -> Any:
        """The next message or reply (a seam for a deliberately slow link)."""
        return await self._connection.read_response(disable_decoding=True, timeout=math.inf)

    def _fail_pending(self) -> None:
        lost = BrokerLost(one_line(self._failure) if self._failure else "connection closed")
        self._failure = self._failure or lost
        while self._replies:
            done = self._replies.popleft()
            if not done.done():
                done.set_exception(lost)
        self._outgoing, self._queued = [], []


def _ignore_failure(done: asyncio.Future[None]) -> None:
    if not done.cancelled():
        done.exception()  # retrieved, so asyncio does not log it as never retrieved


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Cancel ``task``, if any, and wait until it has ended (cancelled, or :class:`BrokerLost`)."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, BrokerLost):
            await task


def one_line(exc: BaseException) -> str:
    """An exception as one line of text: its message with whitespace collapsed, else its type."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
