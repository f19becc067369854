"""A bare WebSocket client for load generation: pre-built frames, minimal parsing.

A load generator written with a full client library costs about as much CPU per message
as the server it measures, so on two cores it would measure itself. This one sends frames
built and masked once, up front, by websockets' own serializer, parses only what small
server frames need, and answers several frames read at once in one write. It speaks just
enough RFC 6455 for that (text frames, pings answered, no extensions, no fragmentation);
it is not a general client.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from collections.abc import Callable
from typing import Self, cast
from urllib.parse import urlsplit

from websockets.frames import Close, CloseCode, Frame, Opcode


def client_frame(opcode: Opcode, payload: bytes) -> bytes:
    """One final, masked client frame carrying ``payload``, serialized by websockets."""
    return Frame(opcode, payload).serialize(mask=True, extensions=[])


def text_frame(text: str) -> bytes:
    return client_frame(Opcode.TEXT, text.encode())


CLOSE_FRAME = client_frame(Opcode.CLOSE, Close(CloseCode.NORMAL_CLOSURE, "").serialize())
"""The closing handshake's first frame, code 1000."""

_TEXT, _PING, _CLOSE = Opcode.TEXT.value, Opcode.PING.value, Opcode.CLOSE.value
"""Plain ints for the receive loop, which compares every frame's opcode."""
_EXTENDED_LENGTH = {126: ("!H", 2), 127: ("!Q", 8)}
"""A length of 126 or 127 says the real one follows: its struct format and its bytes."""

OnMessage = Callable[["RawClient", bytes], None]


def ignore(_client: RawClient, _payload: bytes) -> None:
    """For clients whose messages are counted (:attr:`RawClient.received`), not read."""


class RawClient(asyncio.Protocol):
    """One connection; ``on_message(client, payload)`` is called for each text frame."""

    def __init__(self, on_message: OnMessage = ignore) -> None:
        self.on_message = on_message
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._buffer = b""
        self._batch: list[bytes] | None = None
        self._handshaking = True
        self._writable = asyncio.Event()
        self._writable.set()
        self._reply: asyncio.Future[bytes] | None = None
        self._enough: tuple[int, asyncio.Future[None]] | None = None
        self.received = 0

    @classmethod
    async def connect(cls, url: str, on_message: OnMessage = ignore) -> Self:
        """Open a TCP connection to ``url`` and complete the opening handshake."""
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None
        loop = asyncio.get_running_loop()
        _, client = await loop.create_connection(
            lambda: cls(on_message), parts.hostname, parts.port
        )
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        client.write(request.encode())
        await client.opened
        return client

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)
        self._writable.set()  # nothing more will drain: let a waiting writer find out

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    async def writable(self) -> None:
        """Wait until the transport's buffer is below its high-water mark."""
        await self._writable.wait()

    def write(self, data: bytes) -> None:
        """Send bytes; frames written while a read is handled go out in one write."""
        if self._batch is not None:
            self._batch.append(data)
            return
        assert self.transport is not None
        self.transport.write(data)

    def ask(self, frame: bytes) -> asyncio.Future[bytes]:
        """Send ``frame``; the next text frame is the future's, not ``on_message``'s."""
        self._reply = asyncio.get_running_loop().create_future()
        self.write(frame)
        return self._reply

    @property
    def replies(self) -> int:
        """Text frames received so far."""
        return self.received

    def reach(self, count: int) -> asyncio.Future[None]:
        """A future done once :attr:`replies` reaches ``count``."""
        self._enough = (count, asyncio.get_running_loop().create_future())
        self._check_enough()
        return self._enough[1]

    def _check_enough(self) -> None:
        if self._enough is not None and self.replies >= self._enough[0]:
            if not self._enough[1].done():
                self._enough[1].set_result(None)
            self._enough = None

    def close(self) -> None:
        """Send a close frame (code 1000) and let the server close TCP."""
        if self.transport is not None and not self.transport.is_closing():
            self.write(CLOSE_FRAME)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        if self._handshaking:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self._buffer = buffer
                return
            status = buffer[: buffer.find(b"\r\n")]
            if b" 101 " not in status:
                self.opened.set_exception(ConnectionError(status.decode(errors="replace")))
                assert self.transport is not None
                self.transport.close()
                return
            self._handshaking = False
            self.opened.set_result(None)
            buffer = buffer[end + 4 :]
        self._batch = []
        try:
            self._buffer = buffer[self._parse_frames(buffer) :]
        finally:
            batch, self._batch = self._batch, None
            if batch and self.transport is not None:
                self.transport.write(b"".join(batch))

    def _parse_frames(self, buffer: bytes) -> int:
        """Handle every complete frame in ``buffer``; return where the rest starts."""
        position, size = 0, len(buffer)
        while size - position >= 2:
            first, second = buffer[position], buffer[position + 1]
            length, start = second & 0x7F, position + 2
            if length in _EXTENDED_LENGTH:
                layout, width = _EXTENDED_LENGTH[length]
                if size - start < width:
                    break
                (length,) = struct.unpack_from(layout, buffer, start)
                start += width
            end = start + length
            if end > size:
                break
            opcode = first & 0x0F
            if opcode == _TEXT:
                self.received += 1
                if self._reply is None:
                    self.on_message(self, buffer[start:end])
                else:
                    self._reply.set_result(buffer[start:end])
                    self._reply = None
                if self._enough is not None:
                    self._check_enough()
            elif opcode == _PING:
                self.write(client_frame(Opcode.PONG, buffer[start:end]))
            elif opcode == _CLOSE and self.transport is not None:
                self.transport.close()
            position = end
        return position
