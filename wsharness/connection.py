"""A websockets client connection that hands each message straight to a callback.

The library's connection queues every complete message and a reader task takes
it from the queue one loop iteration later. A test client records every
message anyway, so this connection records it in the same callback that parsed
it, which takes one hop off every round trip a test makes. Fragmented messages
are joined, text is decoded strictly (invalid UTF-8 fails the connection with
1007, as the library does), and pings, pongs and closing work as before.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Sequence

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosedError
from websockets.frames import CloseCode, Frame, Opcode
from websockets.protocol import OPEN, Event

from wsharness.records import Data

OnMessage = Callable[[Data], None]


class RecordingConnection(ClientConnection):
    """A :class:`ClientConnection` that calls a function with each message.

    Until :meth:`record_with` is called (once the handshake is done), frames go
    to the library's queue as usual.
    """

    on_message: OnMessage | None = None
    _opcode: Opcode | None = None
    _fragments: list[bytes]

    def record_with(self, on_message: OnMessage) -> None:
        """From now on hand every message to ``on_message``, starting with the
        frames that arrived since the handshake. Call it on the loop's thread."""
        self.on_message = on_message
        queued = self.recv_messages.frames.queue
        while queued:
            self.process_event(queued.popleft())
        self.recv_messages.maybe_resume()  # reading pauses when the queue is full

    def send_from_thread(
        self, messages: Sequence[Data], *, text: bool | None
    ) -> concurrent.futures.Future[None]:
        """Send ``messages`` from another thread, in order; the future is done once
        they are written.

        Like :meth:`send`, without a task per message: when the connection is
        open and the socket keeps up, the frames are written in one loop
        callback, in one write. Otherwise (a fragmented send under way, the
        socket's buffer full) the library's :meth:`send` takes over, one message
        after the other, with its flow control.
        """
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
                if isinstance(data, str):
                    payload, as_text = data.encode(), text is not False
                else:
                    payload, as_text = data, text is True
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

    def process_event(self, event: Event) -> None:
        if self.on_message is None or not isinstance(event, Frame):
            super().process_event(event)
            return
        if event.opcode is Opcode.PONG:
            self.acknowledge_pings(bytes(event.data))
            return
        if event.opcode is Opcode.CONT:
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
            self._fail_invalid_text(exc)
            return
        self.on_message(text)

    def _fail_invalid_text(self, exc: UnicodeDecodeError) -> None:
        """Close with 1007, as the library's own receive path does."""
        self.set_connection_exc(exc)
        self.protocol.fail(CloseCode.INVALID_DATA, f"{exc.reason} at position {exc.start}")
        self.send_data()


def _settle(done: concurrent.futures.Future[None], task: asyncio.Task[None]) -> None:
    """Pass a finished send task's outcome on to the caller's future."""
    if task.cancelled():
        done.cancel()
    elif (error := task.exception()) is not None:
        done.set_exception(error)
    else:
        done.set_result(None)
