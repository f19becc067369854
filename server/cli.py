"""Command line for the chat server.

Once listening, the server prints its URL (``ws://HOST:PORT``) as the first line
on stdout, so a script can start it with ``--port 0`` and read where it is.
Log lines go to stderr. The server runs on uvloop when it is installed
(``--event-loop`` chooses; see :mod:`wsharness.runtime.loops`). SIGINT and SIGTERM close
every client with 1001 and exit with status 0; with ``--stop-on-stdin-eof``, so
does the end of stdin, which is how a test run that started the server makes sure
it never outlives the run (:mod:`wsharness.runtime.children`).

With ``--broker redis://HOST:PORT/DB`` the server is one node of a cluster that
shares its groups through that Redis (:mod:`server.cluster`); its log lines
then name the node.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection

from server.app import ChatServer, Limits
from server.chat import Chat
from wsharness.runtime.limits import raise_open_file_limit
from wsharness.runtime.loops import EVENT_LOOPS, loop_factory
from wsharness.runtime.signals import stdin_is_a_pipe, watch_for_stop

LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"
BROKER_SCHEMES = ("redis", "rediss", "unix")
DEFAULT_NODE_TIMEOUT = 3.0
"""Seconds; the same as :data:`server.cluster.node.DEFAULT_NODE_TIMEOUT`, which
this module does not import unless ``--broker`` is given."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    defaults = Limits()
    parser = argparse.ArgumentParser(
        prog="python -m server", description="Run the WebSocket chat server."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=_port, default=8765, help="port to listen on; 0 picks a free one"
    )
    parser.add_argument(
        "--max-message-size",
        type=_positive_int,
        default=defaults.max_message_size,
        metavar="BYTES",
        help="close connections sending larger messages with 1009 (default: 1 MiB)",
    )
    parser.add_argument(
        "--max-group-name",
        type=_positive_int,
        default=defaults.max_group_name,
        metavar="CHARS",
        help=f"longest group name accepted (default: {defaults.max_group_name})",
    )
    parser.add_argument(
        "--max-connections",
        type=_positive_int,
        default=defaults.max_connections,
        metavar="N",
        help=f"refuse connections beyond N with HTTP 503 (default: {defaults.max_connections})",
    )
    parser.add_argument(
        "--event-loop",
        choices=EVENT_LOOPS,
        default="auto",
        help="auto (the default) runs on uvloop if it is installed, else on asyncio's own loop",
    )
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="info", help="default: info")
    parser.add_argument(
        "--stop-on-stdin-eof",
        action="store_true",
        help="also stop when stdin, a pipe from the process that started the server, closes: "
        "the server then goes away with that process, however it ends",
    )
    parser.add_argument(
        "--broker",
        type=_broker_url,
        metavar="URL",
        help="run as one node of a cluster sharing its groups through this Redis, "
        "e.g. redis://127.0.0.1:6379/0 (default: no cluster, groups in this process)",
    )
    parser.add_argument(
        "--node-timeout",
        type=_positive_seconds,
        default=DEFAULT_NODE_TIMEOUT,
        metavar="SECONDS",
        help="with --broker: a node silent this long counts as dead and its members are "
        f"removed within a third of it more (default: {DEFAULT_NODE_TIMEOUT:g})",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        chat, log_format = _chat(args)
    except ImportError as exc:
        print(
            f"server: --broker needs the redis package ({exc}); pip install -r requirements.txt",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(stream=sys.stderr, level=args.log_level.upper(), format=log_format)
    # The library's own per-connection lines would repeat ours.
    logging.getLogger("websockets").setLevel(
        logging.DEBUG if args.log_level == "debug" else logging.ERROR
    )
    raise_open_file_limit()
    limits = Limits(
        max_message_size=args.max_message_size,
        max_group_name=args.max_group_name,
        max_connections=args.max_connections,
    )
    if args.stop_on_stdin_eof and not stdin_is_a_pipe():
        print(
            "server: --stop-on-stdin-eof needs stdin to be a pipe from the process "
            "that starts the server",
            file=sys.stderr,
        )
        return 2
    try:
        loop_name, new_loop = loop_factory(args.event_loop)
    except RuntimeError as exc:
        print(f"server: {exc}", file=sys.stderr)
        return 2
    try:
        with asyncio.Runner(loop_factory=new_loop) as runner:
            runner.run(
                serve_until_signalled(
                    ChatServer(limits, chat=chat),
                    args.host,
                    args.port,
                    loop_name,
                    stop_on_stdin_eof=args.stop_on_stdin_eof,
                )
            )
    except OSError as exc:
        print(
            f"server: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    return 0


async def serve_until_signalled(
    chat: ChatServer,
    host: str,
    port: int,
    loop_name: str = "asyncio",
    *,
    stop_on_stdin_eof: bool = False,
) -> None:
    """Start ``chat``, print its URL, and serve until SIGINT or SIGTERM (or, with
    ``stop_on_stdin_eof``, the end of stdin)."""
    # Handlers first: whoever reads the URL may send SIGTERM the next instant.
    stopped = watch_for_stop(stop_on_stdin_eof=stop_on_stdin_eof)
    url = await chat.start(host, port)
    print(url, flush=True)
    log = logging.getLogger("chat.server")
    log.info("listening on %s (%s event loop)", url, loop_name)
    log.info("shutting down on %s", await stopped)
    await chat.stop()
    log.info("stopped")


def _chat(args: argparse.Namespace) -> tuple[Chat[ServerConnection] | None, str]:
    """The cluster node's state if ``--broker`` is given (None: this process's own),
    and the log format, which then names the node."""
    if args.broker is None:
        return None, LOG_FORMAT
    from server.cluster.keys import new_node_id  # imports redis: only for a cluster
    from server.cluster.node import RedisChat

    node_id = new_node_id()
    chat: Chat[ServerConnection]
    chat = RedisChat(args.broker, node_id=node_id, node_timeout=args.node_timeout)
    return chat, LOG_FORMAT.replace("%(message)s", f"node {node_id} %(message)s")


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be from 0 to 65535, not {text}")
    return value


def _broker_url(text: str) -> str:
    if urlsplit(text).scheme not in BROKER_SCHEMES:
        raise argparse.ArgumentTypeError(
            f"must be a Redis URL like redis://127.0.0.1:6379/0, not {text}"
        )
    return text


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value
