"""A small publish/subscribe server: the step library's worked example.

::

    python examples/pubsub/server.py --port 0 --token s3cret
    python examples/pubsub/server.py --port 0 --token s3cret --certfile C.pem --keyfile K.pem

Once listening, it prints its URL (``ws://HOST:PORT``, or ``wss://`` with TLS)
as the first line on stdout, so :class:`wsharness.ServerProcess` can start it
with ``--port 0``. Log lines go to stderr; SIGINT and SIGTERM stop it.

The handshake needs, in this order, the token (``Authorization: Bearer TOKEN`` or
``?token=TOKEN``; missing or wrong: HTTP 401 with the body ``missing or wrong token``),
and the subprotocol ``pubsub.v1`` among those the client offers (else HTTP 400).

Then every message is a JSON object with an ``op``, written as text:

* ``{"op": "subscribe", "topic": T}`` is answered ``{"op": "subscribed", "topic": T}``;
* ``{"op": "unsubscribe", "topic": T}`` is answered ``{"op": "unsubscribed", "topic": T}``;
* ``{"op": "publish", "topic": T, "data": D}`` is answered ``{"op": "published",
  "topic": T, "id": ID}``, and then every subscriber of T (the publisher too, if
  it subscribed) gets ``{"op": "message", "topic": T, "id": ID, "data": D}`` once;
* ``{"op": "ping", "ref": R}`` is answered ``{"op": "pong", "ref": R}``;
* anything else is answered ``{"op": "error", "reason": "..."}``, and the
  connection stays open;
* a request may carry a ``ref``, any string, which its reply (confirmation, receipt
  or error) carries last, so a client knows which request each reply answers (a
  ping's ``ref`` is required);
* a binary message closes the connection with code 1003 and the reason
  ``pubsub.v1 is JSON text``.

``ID`` is a fresh, unguessable string for each publication; keys are written in the
order shown. A connection's messages are handled one at a time, in order, so a
``pong`` proves that everything asked for before has been done, deliveries included:
the round trip the features use to prove that nothing else is on its way.

``--fault NAME`` breaks one rule on purpose, to show that the features catch it:
see :data:`FAULTS`.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging
import signal
import ssl
import sys
import uuid
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.frames import CloseCode
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

SUBPROTOCOL = Subprotocol("pubsub.v1")

FAULTS = {
    "delivered-twice": "every subscriber gets each message twice",
    "publisher-left-out": "a publisher subscribed to its own topic does not get its message",
    "unsubscribe-ignored": "unsubscribing is acknowledged but the subscription stays",
    "undeclared-field": "a subscription's confirmation carries a field the contract does not have",
    "wrong-typed-field": "a publication's id, which the confirmation carries, is a number",
    "wrong-reply": "a subscription with a ref is answered, under that ref, as an unsubscription",
}
"""The deliberately broken variants, by the name ``--fault`` takes."""

log = logging.getLogger("pubsub")

Deliveries = list[tuple[set[ServerConnection], str]]
"""Messages to send, each with the connections to send it to."""


class Topics:
    """Who subscribes to which topic, and what each message leads to; no sockets."""

    def __init__(self, fault: str | None = None) -> None:
        self.fault = fault
        self._subscribers: dict[str, set[ServerConnection]] = {}

    def answer(self, sender: ServerConnection, text: str) -> Deliveries:
        """The messages to send, and to whom, for one message from ``sender``."""
        request: dict[str, Any] = {}
        try:
            request = _request(text)
            return self._handle(sender, request)
        except ValueError as exc:
            return [({sender}, _encode(op="error", reason=str(exc), **_ref(request)))]

    def forget(self, connection: ServerConnection) -> None:
        """Drop every subscription of a connection that closed."""
        for subscribers in self._subscribers.values():
            subscribers.discard(connection)

    def _handle(self, sender: ServerConnection, request: dict[str, Any]) -> Deliveries:
        op, ref = request.get("op"), _ref(request)
        if op == "ping":
            return [({sender}, _encode(op="pong", ref=request.get("ref")))]
        if op not in ("subscribe", "unsubscribe", "publish"):
            raise ValueError(f"unknown op {op!r}")
        topic = request.get("topic")
        if not isinstance(topic, str) or not topic:
            raise ValueError(f"{op} needs a topic")
        subscribers = self._subscribers.setdefault(topic, set())
        if op == "subscribe":
            subscribers.add(sender)
            reply = "unsubscribed" if self.fault == "wrong-reply" and ref else "subscribed"
            undeclared = {"subscribers": 1} if self.fault == "undeclared-field" else {}
            return [({sender}, _encode(op=reply, topic=topic, **undeclared, **ref))]
        if op == "unsubscribe":
            if sender not in subscribers:
                raise ValueError(f"not subscribed to {topic!r}")
            if self.fault != "unsubscribe-ignored":
                subscribers.discard(sender)
            return [({sender}, _encode(op="unsubscribed", topic=topic, **ref))]
        if "data" not in request:
            raise ValueError("publish needs data")
        message_id = uuid.uuid4().hex[:12]
        receivers = set(subscribers)
        if self.fault == "publisher-left-out":
            receivers.discard(sender)
        message = _encode(op="message", topic=topic, id=message_id, data=request["data"])
        copies = 2 if self.fault == "delivered-twice" else 1
        published_id = int(message_id, 16) if self.fault == "wrong-typed-field" else message_id
        return [
            ({sender}, _encode(op="published", topic=topic, id=published_id, **ref)),
            *[(receivers, message)] * copies,
        ]


def _request(text: str) -> dict[str, Any]:
    try:
        request = json.loads(text)
    except ValueError:
        raise ValueError("not JSON") from None
    if not isinstance(request, dict):
        raise ValueError("not a JSON object")
    return request


def _ref(request: dict[str, Any]) -> dict[str, str]:
    """The request's ``ref``, to echo in its reply; none if it has no string ``ref``."""
    ref = request.get("ref")
    return {"ref": ref} if isinstance(ref, str) else {}


def _encode(**fields: Any) -> str:
    return json.dumps(fields)


class PubSubServer:
    """The socket side: the token check, the handshake, and one loop per connection."""

    def __init__(self, token: str, *, fault: str | None = None) -> None:
        self.token = token
        self.topics = Topics(fault)

    def check_token(self, connection: ServerConnection, request: Request) -> Response | None:
        """Let the handshake go on only with the right token, else answer 401."""
        bearer = request.headers.get("Authorization", "")
        offered = bearer[len("Bearer ") :] if bearer.startswith("Bearer ") else ""
        if not offered:
            offered = parse_qs(urlsplit(request.path).query).get("token", [""])[0]
        if offered and hmac.compare_digest(offered.encode(), self.token.encode()):
            return None
        log.info("refused a connection: missing or wrong token")
        response = connection.respond(HTTPStatus.UNAUTHORIZED, "missing or wrong token\n")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    async def handle(self, connection: ServerConnection) -> None:
        """Answer one connection's messages in order, until it closes."""
        try:
            async for text in connection:
                if isinstance(text, bytes):
                    await connection.close(CloseCode.UNSUPPORTED_DATA, "pubsub.v1 is JSON text")
                    return
                for receivers, message in self.topics.answer(connection, text):
                    broadcast(receivers, message)
        finally:
            self.topics.forget(connection)


async def serve_until_signalled(args: argparse.Namespace) -> None:
    """Listen, print the URL, and serve until SIGINT or SIGTERM."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    tls = None
    if args.certfile:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.certfile, args.keyfile)
    pubsub = PubSubServer(args.token, fault=args.fault)
    async with serve(
        pubsub.handle,
        args.host,
        args.port,
        process_request=pubsub.check_token,
        subprotocols=[SUBPROTOCOL],
        ssl=tls,
    ) as server:
        host, port = server.sockets[0].getsockname()[:2]
        url = f"{'wss' if tls else 'ws'}://{host}:{port}"
        print(url, flush=True)
        log.info("listening on %s%s", url, f" with the fault {args.fault}" if args.fault else "")
        await stopping.wait()
    log.info("stopped")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python examples/pubsub/server.py",
        description="Run the pubsub.v1 example server.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8766, help="port to listen on; 0 picks one")
    parser.add_argument("--token", required=True, help="the bearer token clients must present")
    parser.add_argument("--certfile", help="serve wss:// with this certificate (PEM)")
    parser.add_argument("--keyfile", help="the certificate's private key, if not in --certfile")
    parser.add_argument(
        "--fault",
        choices=sorted(FAULTS),
        help="break one rule on purpose: " + "; ".join(f"{k}: {v}" for k, v in FAULTS.items()),
    )
    args = parser.parse_args(argv)
    if args.keyfile and not args.certfile:
        parser.error("--keyfile needs --certfile")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("websockets").setLevel(logging.ERROR)
    try:
        asyncio.run(serve_until_signalled(args))
    except (OSError, ssl.SSLError) as exc:
        print(f"pubsub server: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
