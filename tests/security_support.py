"""What the security tests share: the server as a real process, throwaway TLS
material and tokens, and a bare client that completes the handshake and then
misbehaves in ways a well-made client never would (never reading, never
answering a ping).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import struct
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from websockets.frames import Opcode

import acceptance.testbed
from bench.rawws import client_frame
from tests.support import MS, ask_until_accepted
from wsharness import TestWebSocket

TOKEN = "correct-horse-battery-staple"
OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = Opcode.TEXT, Opcode.CLOSE, Opcode.PING, Opcode.PONG
"""websockets' opcodes: an IntEnum, so they equal the plain ints :func:`read_frame` returns."""


class Credentials(acceptance.testbed.Credentials):
    """The project's throwaway credentials with the tests' fixed token."""

    @classmethod
    def create(cls, directory: Path, *, token: str | None = None) -> Credentials:
        made = super().create(directory, token=token or TOKEN)
        assert isinstance(made, cls)  # the parent builds cls(...)
        return made


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def raw_websocket(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    context: ssl.SSLContext | None = None,
    receive_buffer: int | None = None,
    timeout: float = 5_000 * MS,
) -> socket.socket:
    """A socket that has completed the opening handshake and does nothing else
    unless told to; ``receive_buffer`` shrinks its kernel buffer first, so that
    a socket that never reads stops taking data sooner."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:
        plain.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    plain.settimeout(timeout)
    plain.connect((parts.hostname, parts.port))
    sock = context.wrap_socket(plain, server_hostname=parts.hostname) if context else plain
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(1)  # byte by byte: nothing after the headers may be consumed
        if not chunk:
            raise AssertionError(f"the server closed during the handshake: {response!r}")
        response += chunk
    status = response.split(b"\r\n", 1)[0]
    assert b" 101 " in status, f"handshake refused: {status!r}"
    return sock


def send_frame(sock: socket.socket, payload: bytes, opcode: Opcode = OP_TEXT) -> None:
    """One final, masked client frame (:func:`bench.rawws.client_frame`)."""
    sock.sendall(client_frame(opcode, payload))


def read_frame(sock: socket.socket, deadline: float) -> tuple[int, bytes] | None:
    """The next frame from the server as (opcode, payload); None when the connection
    has ended (closed or reset). Raises TimeoutError at ``deadline`` (monotonic)."""
    header = _read_exactly(sock, 2, deadline)
    if header is None:
        return None
    length = header[1] & 0x7F
    if length in (126, 127):
        extended = _read_exactly(sock, 2 if length == 126 else 8, deadline)
        if extended is None:
            return None
        (length,) = struct.unpack("!H" if len(extended) == 2 else "!Q", extended)
    payload = _read_exactly(sock, length, deadline) if length else b""
    if payload is None:
        return None
    return header[0] & 0x0F, payload


def _read_exactly(sock: socket.socket, count: int, deadline: float) -> bytes | None:
    data = b""
    while len(data) < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no frame before the deadline ({len(data)} of {count} bytes)")
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(count - len(data))
        except (ConnectionResetError, ssl.SSLError):
            return None
        if not chunk:
            return None
        data += chunk
    return data


def close_code(payload: bytes) -> tuple[int | None, str]:
    """The code and reason of a close frame's payload."""
    if len(payload) < 2:
        return None, ""
    return struct.unpack("!H", payload[:2])[0], payload[2:].decode()


def member_who_stops_reading_is_cut_off(
    poster_url: str, listener_url: str, member_url: str, context: ssl.SSLContext | None
) -> None:
    """Alice (at ``poster_url``) posts 8 MB to a group where Bob (at
    ``listener_url``) reads and Mallory (at ``member_url``) has stopped reading.
    The server must cut Mallory off (``--max-queued-bytes 65536``): Alice and Bob
    hear every post, and Mallory has left the group like any disconnect."""
    group = f"book club {uuid.uuid4().hex[:8]}"
    connect: dict[str, Any] = {} if context is None else {"ssl": context}
    posts = 8000  # 8 MB: more than the kernel's buffers can hide
    text = "x" * 1000
    with (
        TestWebSocket(poster_url, name="Alice", **connect) as alice,
        TestWebSocket(listener_url, name="Bob", **connect) as bob,
    ):
        alice.send_json({"type": "CREATE_GROUP", "value": group})
        alice.wait_for_message(f"GROUP_CREATED: {group}")
        bob.send_json({"type": "JOIN_GROUP", "value": group})
        bob.wait_for_message(f"GROUP_JOINED: {group}")
        with raw_websocket(member_url, context=context, receive_buffer=4096) as mallory:
            send_frame(mallory, json.dumps({"type": "JOIN_GROUP", "value": group}).encode())
            joined = read_frame(mallory, time.monotonic() + 5_000 * MS)
            assert joined == (OP_TEXT, f"GROUP_JOINED: {group}".encode()), joined

            for n in range(posts):
                value = {"groupName": group, "groupMessage": f"{n:05d} {text}"}
                alice.send_json({"type": "MESSAGE_GROUP", "value": value}, timeout=30_000 * MS)
            last = f"{posts - 1:05d} {text}"
            alice.wait_for_message(last, timeout=60_000 * MS)
            bob.wait_for_message(last, timeout=60_000 * MS)
            assert len(alice.messages) == len(bob.messages) == posts + 1

            frames, ending = 0, None
            deadline = time.monotonic() + 15_000 * MS
            while frames < posts and (frame := read_frame(mallory, deadline)) is not None:
                if frame[0] == OP_CLOSE:
                    ending = close_code(frame[1])
                    break
                frames += 1
        assert frames < posts, f"Mallory received all {posts} posts: she was never cut off"
        if ending is not None:  # she read far enough to see why
            assert ending == (1013, "too slow: over 64 KiB waiting to be sent")

        for person in (alice, bob):
            person.send_json({"type": "LEAVE_GROUP", "value": None})
            person.wait_for_message(f"GROUP_LEFT: {group}")
    with TestWebSocket(poster_url, name="Carol", **connect) as carol:
        # A disconnect has no acknowledgement: ask until the name is free.
        ask_until_accepted(
            carol,
            ({"type": "CREATE_GROUP", "value": group}, f"GROUP_CREATED: {group}"),
            [f"GROUP_UNAVAILABLE: {group}"],
            deadline=time.monotonic() + 5_000 * MS,
            failure="Mallory is still in the group",
        )
