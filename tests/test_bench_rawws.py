"""The load generator's bare client speaks real WebSocket to a real websockets server."""

from __future__ import annotations

import asyncio

from websockets.asyncio.server import ServerConnection, serve

from bench.rawws import RawClient, text_frame
from tests.support import MS

WITHIN = 10_000 * MS
"""How long any one step may take before the test fails instead of hanging."""


async def _against_websockets() -> tuple[list[bytes], float, int | None]:
    """Echo one text, have the server ping, close: what the client and server saw."""
    pinged: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    close_code: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()

    async def handler(connection: ServerConnection) -> None:
        message = await connection.recv()
        await connection.send(message)
        pong = await connection.ping()
        pinged.set_result(await pong)
        await connection.wait_closed()
        close_code.set_result(connection.close_code)

    received: list[bytes] = []
    replied: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_message(_client: RawClient, payload: bytes) -> None:
        received.append(payload)
        replied.set_result(None)

    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        client = await asyncio.wait_for(
            RawClient.connect(f"ws://127.0.0.1:{port}", on_message), WITHIN
        )
        client.write(text_frame("héllo, bench"))
        await asyncio.wait_for(replied, WITHIN)
        latency = await asyncio.wait_for(pinged, WITHIN)
        client.close()
        await asyncio.wait_for(client.closed, WITHIN)
        return received, latency, await asyncio.wait_for(close_code, WITHIN)


def test_echo_ping_and_close_against_websockets() -> None:
    """Masked frames built by websockets' serializer are accepted, the reply is
    parsed, the server's ping is answered and the close handshake completes."""
    received, ping_latency, close_code = asyncio.run(_against_websockets())
    assert received == ["héllo, bench".encode()]
    assert ping_latency >= 0
    assert close_code == 1000
