"""A websockets client connection that hands each message straight to a callback.

The library queues each message for a reader task one loop iteration later; recording it
in the callback that parsed it takes one hop off every round trip. Fragments are joined (at
most :data:`MAX_FRAGMENTS`, else 1009), text decoded strictly (else 1007), as the library
does; when this client fails the connection it says why at once, since the server may never
answer the close. :class:`Opening` notes how far the opening handshake got.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.messages import MAX_FRAGMENTS
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosedError, TooManyFragments
from websockets.frames import CloseCode, Frame, Opcode
from websockets.protocol import CONNECTING, OPEN, Event

from wsharness.records import Data

__all__ = ["MAX_FRAGMENTS", "Opening", "PongsPiledUp", "RecordingConnection"]

OnMessage = Callable[[Data], None]
OnFailure = Callable[[BaseException], None]  # called once if this client fails the connection
ANSWER_KEPT = 64  # bytes of the server's answer to the handshake that Opening keeps


@dataclass
class Opening:
    """How far the opening handshake got: whether the connection was made (TCP, and
    TLS for ``wss://``), and the first bytes the server answered with."""

    connected: bool = False
    answer: bytes = b""

    def heard(self, data: bytes) -> None:
        if len(self.answer) < ANSWER_KEPT:
            self.answer += data[: ANSWER_KEPT - len(self.answer)]


class RecordingConnection(ClientConnection):
    """A :class:`ClientConnection` that calls a function with each message, once
    :meth:`record_with` was called; until then frames go to the library's queue."""

    on_message: OnMessage | None = None
    on_failure: OnFailure | None = None
    failure: BaseException | None = None
    """Why this client failed the connection, if it did."""
    server_went_away = False
    """Whether the server closed (or reset) the TCP connection."""
    _opcode: Opcode | None = None
    _fragments: list[bytes]

    def __init__(
        self, protocol: ClientProtocol, *, opening: Opening | None = None, **options: Any
    ) -> None:
        super().__init__(protocol, **options)
        self.opening = opening or Opening()
        self._fragments = []

    def record_with(self, on_message: OnMessage, on_failure: OnFailure) -> None:
        """On the loop's thread: hand every message to ``on_message`` (first those queued
        since the handshake), and say why if this client fails the connection."""
        self.on_message = on_message
        queued = self.recv_messages.frames.queue
        while queued:
            self.process_event(queued.popleft())
        self.recv_messages.maybe_resume()  # reading pauses when the queue is full
        self._check_parser()
        self.on_failure = on_failure
        if self.failure is not None:
            on_failure(self.failure)

    def send_from_thread(
        self, messages: Sequence[Data], *, text: bool | None
    ) -> concurrent.futures.Future[None]:
        """Send ``messages`` from another thread, in order; the future is done once written.
        Without a task per message: one callback, one write, unless the socket is paused or a
        send is under way, when the library's :meth:`send` takes over with its flow control."""
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.loop.call_soon_threadsafe(self._send_on_loop, list(messages), text, done)
        return done

    def _send_on_loop(
        self, messages: list[Data], text: bool | None, done: concurrent.futures.Future[None]
    ) -> None:
        if not done.set_running_or_notify_cancel():
            return
        if self.protocol.state is not OPEN or self.send_in_progress is not None or self.paused:
            self.loop.create_task(self._send_each(messages, text)).add_done_callback(
                lambda task: _settle(done, task)
            )
            return
        try:
            for data in messages:
                payload = data.encode() if isinstance(data, str) else data
                as_text = isinstance(data, str) if text is None else text
                if as_text:
                    self.protocol.send_text(payload)
                else:
                    self.protocol.send_binary(payload)
            self.send_data()
        except Exception as exc:  # the socket failed under us: end the connection
            self.set_connection_exc(exc)
            self.transport.abort()
            done.set_exception(ConnectionClosedError(None, None))
            return
        done.set_result(None)

    async def _send_each(self, messages: list[Data], text: bool | None) -> None:
        for data in messages:
            await self.send(data, text=text)

    # -- Receiving ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.opening.connected = True

    def data_received(self, data: bytes) -> None:
        if self.protocol.state is CONNECTING:
            self.opening.heard(data)
        unsent = self.transport.get_write_buffer_size()
        super().data_received(data)
        self._check_parser()
        self._check_pongs(unsent)

    def eof_received(self) -> None:
        self.server_went_away = True
        super().eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self.server_went_away = True  # reset by the server
        super().connection_lost(exc)

    @property
    def close_unanswered(self) -> bool:
        """Whether the server neither answered this client's close nor closed the TCP
        connection (the library dropped it after :attr:`close_timeout`)."""
        protocol = self.protocol
        unanswered = protocol.close_sent is not None and protocol.close_rcvd is None
        return unanswered and not self.server_went_away

    def process_event(self, event: Event) -> None:
        if self.on_message is None or not isinstance(event, Frame):
            super().process_event(event)
            return
        if event.opcode is Opcode.PONG:
            self.acknowledge_pings(bytes(event.data))
            return
        if self.failure is not None:
            return  # no data after failing the connection (RFC 6455, 7.1.7)
        if event.opcode is Opcode.CONT:
            if len(self._fragments) >= MAX_FRAGMENTS:
                self._fail(
                    TooManyFragments(MAX_FRAGMENTS), CloseCode.MESSAGE_TOO_BIG, "too many fragments"
                )
                return
            self._fragments.append(bytes(event.data))
        elif event.opcode in (Opcode.TEXT, Opcode.BINARY):
            self._opcode = event.opcode
            self._fragments = [bytes(event.data)]
        else:
            return  # ping and close frames are answered by the protocol itself
        if not event.fin:
            return
        payload = b"".join(self._fragments)
        self._fragments = []
        if self._opcode is Opcode.BINARY:
            self.on_message(payload)
            return
        try:
            text = payload.decode()
        except UnicodeDecodeError as exc:
            self._fail(exc, CloseCode.INVALID_DATA, f"{exc.reason} at position {exc.start}")
            return
        self.on_message(text)

    def _fail(self, exc: Exception, code: CloseCode, reason: str) -> None:
        """Fail the connection as the library's own ``recv()`` does."""
        self.set_connection_exc(exc)
        self.protocol.fail(code, reason)
        self.send_data()
        self._failed(exc)

    def _check_pongs(self, unsent_before: int) -> None:
        """Past the size limit of pongs piled up by a server that pings faster than it reads,
        give up and drop the connection (a close would never get through)."""
        unsent = self.transport.get_write_buffer_size()
        limit = self.protocol.max_message_size
        if unsent > unsent_before and limit is not None and unsent > limit:
            self._failed(PongsPiledUp(unsent))
            self.transport.abort()

    def _check_parser(self) -> None:
        """Say why if the parser failed the connection (a frame over ``max_size``, a broken one)."""
        if self.protocol.parser_exc is not None and self.protocol.close_sent is not None:
            self._failed(self.protocol.parser_exc)

    def _failed(self, exc: BaseException) -> None:
        if self.failure is None:
            self.failure = exc
            self._fragments = []
            if self.on_failure is not None:
                self.on_failure(exc)


class PongsPiledUp(Exception):
    """The server sent pings faster than it read the pongs."""

    def __init__(self, unsent: int) -> None:
        super().__init__(f"{unsent} bytes of pongs unsent")
        self.unsent = unsent


def _settle(done: concurrent.futures.Future[None], task: asyncio.Task[None]) -> None:
    """Pass a finished send task's outcome on to the caller's future."""
    if task.cancelled():
        done.cancel()
    elif (error := task.exception()) is not None:
        done.set_exception(error)
    else:
        done.set_result(None)
