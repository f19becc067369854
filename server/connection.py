"""One client's connection: its requests answered in order, in turn with every other
client, within the server's limits.

Each message is answered as soon as its last frame is read, from the data callback,
with no coroutine woken per message (the library's handler awaits them one at a time).
Every limit on what one client may make the server do is here:

- **Turns.** Data is read in slices of :data:`READ_SLICE` bytes and requests are
  answered for at most :data:`TURN` seconds, so a client that pipelines requests or
  pings never keeps the others waiting.
- **Back-pressure.** While a client's replies wait above the high-water mark, its next
  requests wait too and its socket is not read.
- **Pings.** Pongs count toward ``max_queued_bytes``, and pings toward ``max_rate``.
- **Answers that wait** (for a cluster's broker) hold the requests behind them.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import struct
import termios
import time
from collections import deque
from collections.abc import Awaitable
from typing import Any, ClassVar, Protocol

from websockets.asyncio.server import ServerConnection
from websockets.frames import CloseCode, Frame, Opcode
from websockets.protocol import State

from server import replies
from server.http import HTTPConnection
from server.limits import Limits
from server.rate import RequestRate

TURN = 0.0002
"""Seconds one connection's requests may run back to back before the others get a turn,
so a client that pipelines requests does not have them all answered before anyone else's."""
READ_SLICE = 16 * 2**10
"""Bytes parsed at once: a read can hand over 256 KiB, a thousand pings or more."""
MAX_FRAGMENTS = 4096
"""Frames one message may come in, as the library allows; more are closed with 1009."""
CLOSE_TIMEOUT = 2.0
"""Seconds a client may read nothing while being closed (or take to answer the library's
close frame, when the server stops) before its socket is dropped."""

log = logging.getLogger("chat.server")


class Answerer(Protocol):
    """What a connection needs from its server."""

    def answer(self, connection: ChatConnection, message: str | bytes) -> Awaitable[None] | None:
        """Answer one request; an awaitable if the answer waits (for a broker)."""

    def cut(self, connection: ChatConnection) -> None:
        """Close a connection whose unsent data went over ``max_queued_bytes``."""

    def handshake_started(self, connection: ChatConnection) -> None:
        """A socket was accepted; its WebSocket handshake is not done yet."""

    def handshake_ended(self, connection: ChatConnection) -> None:
        """A handshake completed, failed or was dropped (called more than once)."""

    def disconnected(self, connection: ChatConnection) -> None:
        """A connection the server answered has gone (before anything read after it)."""


class ChatConnection(HTTPConnection):
    """A client's connection to a :class:`~server.app.ChatServer`, bound to it by
    :func:`connection_class`; on plain HTTP it answers as its base class does."""

    answerer: ClassVar[Answerer]
    limits: ClassVar[Limits]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rate = RequestRate(self.limits.max_rate) if self.limits.max_rate else None
        """The request rate limit (``max_rate``); None: none. Nothing is taken from it
        before :meth:`start_answering`, so it is full then."""
        self._over_rate = False
        """Whether the last request was refused for the rate (one log line per run)."""
        self._ping_rate = RequestRate(self.limits.max_rate) if self.limits.max_rate else None
        """Pings counted from the first byte: pings sent with the handshake count too."""
        self._answering = False
        self._requests: deque[Frame] = deque()
        """Whole messages read and not answered yet."""
        self._fragments: list[Frame] = []
        self._unread = b""
        self._read_up_to = 0
        self._waiting_for: asyncio.Future[None] | None = None
        self._reading_paused = False
        self._turn_scheduled = False
        self._in_turn = False
        self._unwritten = False
        """Whether replies wait in the protocol to be written at the end of the turn."""

    def reply(self, text: str) -> None:
        """Send ``text`` to this client with the other replies of this turn, in
        one write: one system call for a client's pipelined requests, not one each."""
        if self.protocol.state is State.OPEN:
            self.protocol.send_text(text.encode())
            if not self._unwritten:
                self._unwritten = True
                if not self._turn_scheduled and not self._in_turn:
                    self._next_turn()

    def start_answering(self) -> None:
        """Answer the requests read so far and every later one; once the connection
        is lost, tell the server (at once if it already is)."""
        self._answering = True
        if self.protocol.state is State.CLOSED:
            self._disconnected()
            return
        self._take_turn()

    async def close_or_drop(self, code: int, reason: str) -> None:
        """Close with ``code`` after everything already queued, so a merely slow client
        reads it; drop the socket once the client has read nothing for
        :data:`CLOSE_TIMEOUT` (the library's ``close()`` waits for it with no limit)."""
        if self.protocol.state is State.OPEN:
            self.protocol.send_close(code, reason)
            self.send_data()
        closed = asyncio.ensure_future(self.wait_closed())
        unsent = self._unsent()
        while True:
            done, _ = await asyncio.wait({closed}, timeout=CLOSE_TIMEOUT)
            if done:
                return
            still_unsent = self._unsent()
            if not still_unsent or still_unsent >= unsent:
                self.transport.abort()
                await closed
                return
            unsent = still_unsent

    def send_data(self) -> None:
        """Write everything the protocol has for the client at once: the library
        writes each frame on its own, which is a system call per reply."""
        chunks = self.protocol.data_to_send()
        if not chunks:
            return
        end_of_stream = not chunks[-1]  # the protocol's mark to close our side
        data = b"".join(chunks)
        if data:
            self.transport.write(data)
        if end_of_stream:
            if self.transport.can_write_eof():
                with contextlib.suppress(Exception):  # as the library: uvloop may raise
                    self.transport.write_eof()
            else:
                self.transport.close()

    def _unsent(self) -> int:
        """Bytes written for the client and not yet taken by it: ours and the kernel's."""
        unsent = self.transport.get_write_buffer_size()
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError, ValueError):
                queued = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, struct.pack("i", 0))
                unsent += struct.unpack("i", queued)[0]
        return unsent

    # asyncio.Protocol callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.answerer.handshake_started(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.answerer.handshake_ended(self)
        if self._answering:
            self._disconnected()
        self._requests.clear()
        self._unread = b""
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._unread:  # only if a read arrived in the same loop turn as a pause
            data = self._unread[self._read_up_to :] + data
        self._unread, self._read_up_to = data, 0
        self._take_turn()

    def eof_received(self) -> bool | None:  # type: ignore[override]  # as HTTPConnection
        if self._unread:  # what came before the end is read before it, whoever's turn it is
            unread, self._unread = self._unread[self._read_up_to :], b""
            super().data_received(unread)
        return super().eof_received()

    def resume_writing(self) -> None:
        super().resume_writing()
        self._next_turn()

    def process_event(self, event: Any) -> None:
        if self.request is None or not isinstance(event, Frame):
            super().process_event(event)  # the handshake's request
            return
        opcode = event.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if event.fin:
                self._requests.append(event)
            else:
                self._fragments = [event]
        elif opcode is Opcode.CONT:
            self._add_fragment(event)
        else:
            if opcode is Opcode.PING and self._ping_rate and not self._ping_rate.allow():
                self._pings_over_rate()
            elif opcode is Opcode.CLOSE:
                # The client is gone for the chat once the requests before its close
                # are answered: in this same turn, before the server reads anyone's
                # next request (the library answers the close and ends TCP meanwhile).
                self._requests.append(event)
            super().process_event(event)

    def _disconnected(self) -> None:
        self._answering = False
        self.answerer.disconnected(self)

    # Turns

    def _take_turn(self) -> None:
        """Answer held requests and read what is unread until the turn is over,
        the connection must wait, or nothing is left."""
        self._turn_scheduled = False
        self._in_turn = True
        started = time.monotonic()
        try:
            while True:
                if self._requests and self._may_answer():
                    self._answer(self._requests.popleft())
                elif self._unread and self._may_read():
                    self._read_slice()
                else:
                    self._read_socket(self._may_read())
                    return
                if time.monotonic() - started >= TURN:
                    self._read_socket(False)
                    self._next_turn()
                    return
        finally:
            self._in_turn = False
            if self._unwritten:
                self._unwritten = False
                self.send_data()

    def _may_answer(self) -> bool:
        """Once the client is registered, one at a time, while it reads its replies;
        requests read before a frame that closed the connection still take effect."""
        if not self._answering or self._waiting_for is not None:
            return False
        return self.protocol.state is not State.OPEN or not self.paused

    def _may_read(self) -> bool:
        """Always during the handshake and once closing (to read the client's close);
        while open, only while requests can be answered, so they never pile up."""
        return self.protocol.state is not State.OPEN or self._may_answer()

    def _next_turn(self) -> None:
        if not self._turn_scheduled:
            self._turn_scheduled = True
            self.loop.call_soon(self._take_turn)

    def _read_slice(self) -> None:
        start, unread = self._read_up_to, self._unread
        end = start + READ_SLICE
        if end >= len(unread):
            data = unread[start:] if start else unread
            self._unread, self._read_up_to = b"", 0
        else:
            data = unread[start:end]
            self._read_up_to = end
        queued = self.transport.get_write_buffer_size()
        super().data_received(data)
        self._count_automatic_replies(queued)

    def _count_automatic_replies(self, queued_before: int) -> None:
        """Pongs (and a close frame) written while reading count toward ``max_queued_bytes``
        like any message; past twice that while being closed, the client is dropped."""
        queued = self.transport.get_write_buffer_size()
        most = self.limits.max_queued_bytes
        if queued <= queued_before or queued <= most:
            return
        if self.protocol.state is State.OPEN:
            self.answerer.cut(self)
        elif queued > 2 * most:
            self.transport.abort()

    def _read_socket(self, wanted: bool) -> None:
        """Resume or pause reading the socket, unless it already is, or is closing."""
        if self._reading_paused is wanted and not self.transport.is_closing():
            self._reading_paused = not wanted
            if wanted:
                self.transport.resume_reading()
            else:
                self.transport.pause_reading()

    # Requests

    def _answer(self, frame: Frame) -> None:
        if frame.opcode is Opcode.CLOSE:
            self._disconnected()
            return
        if frame.opcode is Opcode.TEXT:
            try:
                message: str | bytes = bytes(frame.data).decode()
            except UnicodeDecodeError as exc:
                self._fail(CloseCode.INVALID_DATA, f"{exc.reason} at position {exc.start}")
                return
        else:
            message = bytes(frame.data)
        if self._rate is not None and not self._within_rate(self._rate):
            return
        waiting = self.answerer.answer(self, message)
        if waiting is not None:
            self._waiting_for = asyncio.ensure_future(waiting)
            self._waiting_for.add_done_callback(self._answered)

    def _within_rate(self, rate: RequestRate) -> bool:
        """Whether a request is within ``max_rate``; one over it gets an error instead."""
        if rate.allow():
            self._over_rate = False
            return True
        if not self._over_rate:  # one log line per run of refused requests
            log.warning("refusing requests from %s: over %g per second", peer_name(self), rate.rate)
            self._over_rate = True
        self.reply(replies.too_many_requests(rate.rate))
        return False

    def _answered(self, waiting: asyncio.Future[None]) -> None:
        self._waiting_for = None
        if not waiting.cancelled() and waiting.exception() is not None:
            self.logger.error("answering a request failed", exc_info=waiting.exception())
        self._next_turn()

    def _add_fragment(self, frame: Frame) -> None:
        if len(self._fragments) >= MAX_FRAGMENTS:
            self._fail(CloseCode.MESSAGE_TOO_BIG, "too many fragments")
            return
        self._fragments.append(frame)
        if frame.fin:
            first = self._fragments[0]
            data = b"".join(fragment.data for fragment in self._fragments)
            self._fragments = []
            self._requests.append(Frame(first.opcode, data))

    def _pings_over_rate(self) -> None:
        assert self._ping_rate is not None
        code, rate = CloseCode.POLICY_VIOLATION, self._ping_rate.rate
        log.warning("closed %s: pings over %g per second (code %d)", peer_name(self), rate, code)
        self._fail(code, f"too many pings: over {rate:g} per second")

    def _fail(self, code: int, reason: str) -> None:
        """Close at once with ``code``: nothing more from this client is answered."""
        self._requests.clear()
        self._fragments = []
        if self.protocol.state is State.OPEN:
            self.protocol.fail(code, reason)
            self.send_data()


def connection_class(answerer: Answerer, limits: Limits) -> type[ChatConnection]:
    """A :class:`ChatConnection` class bound to one server and its limits, for ``serve()``."""

    class BoundConnection(ChatConnection):
        pass

    BoundConnection.answerer = answerer
    BoundConnection.limits = limits
    return BoundConnection


def peer_name(connection: ServerConnection) -> str:
    address = connection.remote_address
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)
