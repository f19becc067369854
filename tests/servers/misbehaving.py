"""A WebSocket server on a raw socket that misbehaves on purpose, to test the harness.

``python -m tests.servers.misbehaving BEHAVIOUR --port 0`` prints its URL and serves
every connection the same way until SIGTERM or the end of stdin. No WebSocket library
is involved, so it can break every rule the library would enforce:

* ``silent``: accepts the TCP connection and never answers the handshake;
* ``not-http``: answers the handshake with a line that is not HTTP;
* ``ignores-close``: completes the handshake, then never answers a close frame and
  never closes the TCP connection;
* ``endless-fragments``: sends one text message in small fragments, without end;
* ``endless-big-fragments``: the same, in fragments of 64 KiB;
* ``ping-flood``: sends pings as fast as the client takes them and never reads a pong;
* ``deaf``: never reads anything after the handshake and never closes;
* ``endless-frame``: announces one frame of 2**62 bytes and sends its bytes, without end;
* ``many=N``: once the client has sent something, sends N distinct text messages
  (``message 1`` ...), and answers what the client sends next (its close) with a close.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import struct

from wsharness.runtime.signals import watch_for_stop

NOT_HTTP = b"SSH-2.0-OpenSSH_9.6 hello, this is not HTTP\r\n"
"""What ``not-http`` answers: the first line of another protocol."""

SMALL_FRAGMENT = b"x" * 16
BIG_FRAGMENT = b"x" * 2**16

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def frame(opcode: int, payload: bytes, *, fin: bool, length: int | None = None) -> bytes:
    """A server's (unmasked) frame; ``length`` announces another length than the payload's."""
    size = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | opcode])
    if size < 126:
        head += bytes([size])
    elif size < 2**16:
        head += bytes([126]) + struct.pack("!H", size)
    else:
        head += bytes([127]) + struct.pack("!Q", size)
    return head + payload


async def handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read the client's request and accept it with 101."""
    request = await reader.readuntil(b"\r\n\r\n")
    key = b""
    for line in request.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-key":
            key = value.strip()
    accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
    writer.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )
    await writer.drain()


async def ignore_everything(reader: asyncio.StreamReader) -> None:
    """Read and drop what the client sends until it goes away."""
    while await reader.read(2**16):
        pass


async def send_forever(writer: asyncio.StreamWriter, first: bytes, then: bytes) -> None:
    """Write ``first``, then ``then`` again and again, as fast as the client reads."""
    writer.write(first)
    while True:
        await writer.drain()
        writer.write(then)


async def behave(
    behaviour: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    if behaviour == "silent":
        await ignore_everything(reader)
        return
    if behaviour == "not-http":
        writer.write(NOT_HTTP)
        await ignore_everything(reader)
        return
    await handshake(reader, writer)
    if behaviour == "ignores-close":
        await ignore_everything(reader)
    elif behaviour == "endless-fragments":
        await send_forever(
            writer, frame(0x1, SMALL_FRAGMENT, fin=False), frame(0x0, SMALL_FRAGMENT, fin=False)
        )
    elif behaviour == "endless-big-fragments":
        await send_forever(
            writer, frame(0x1, BIG_FRAGMENT, fin=False), frame(0x0, BIG_FRAGMENT, fin=False)
        )
    elif behaviour == "endless-frame":
        await send_forever(writer, frame(0x2, b"", fin=True, length=2**62), BIG_FRAGMENT)
    elif behaviour == "ping-flood":
        pings = frame(0x9, 125 * b"p", fin=True) * 64
        await send_forever(writer, pings, pings)
    elif behaviour == "deaf":
        await asyncio.Event().wait()  # until the client goes away and the server stops
    elif behaviour.startswith("many="):
        count = int(behaviour.removeprefix("many="))
        await reader.read(2**16)  # the client's first message, whatever it says
        for number in range(1, count + 1):
            writer.write(frame(0x1, f"message {number}".encode(), fin=True))
            await writer.drain()
        await reader.read(2**16)  # what the client sends next is its close frame
        writer.write(frame(0x8, (1000).to_bytes(2, "big"), fin=True))


BEHAVIOURS = (
    "silent",
    "not-http",
    "ignores-close",
    "endless-fragments",
    "endless-big-fragments",
    "endless-frame",
    "ping-flood",
    "deaf",
    "many=N",
)


async def serve(behaviour: str, port: int) -> None:
    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await behave(behaviour, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away: what a misbehaving server expects
        finally:
            writer.close()

    stopped = watch_for_stop(stop_on_stdin_eof=True)
    server = await asyncio.start_server(connected, "127.0.0.1", port)
    print(f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await stopped
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.servers.misbehaving")
    parser.add_argument("behaviour", help=", ".join(BEHAVIOURS))
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    known = args.behaviour in BEHAVIOURS or args.behaviour.removeprefix("many=").isdigit()
    if not known:
        parser.error(f"unknown behaviour {args.behaviour!r}; one of {', '.join(BEHAVIOURS)}")
    asyncio.run(serve(args.behaviour, args.port))


if __name__ == "__main__":
    main()
