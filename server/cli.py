"""Command line for the chat server.

Once listening, the server prints its URL (``ws://HOST:PORT``) as the first line
on stdout, so a script can start it with ``--port 0`` and read where it is.
Log lines go to stderr. The server runs on uvloop when it is installed
(``--event-loop`` chooses; see :mod:`wsharness.runtime.loops`). SIGINT and SIGTERM close
every client with 1001 and exit with status 0; with ``--stop-on-stdin-eof``, so
does the end of stdin, which is how a test run that started the server makes sure
it never outlives the run (:mod:`wsharness.runtime.children`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from server.app import ChatServer, Limits
from wsharness.runtime.limits import raise_open_file_limit
from wsharness.runtime.loops import EVENT_LOOPS, loop_factory
from wsharness.runtime.signals import stdin_is_a_pipe, watch_for_stop

LOG_LEVELS = ("debug", "info", "warning", "error")


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
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(message)s",
    )
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
                    ChatServer(limits),
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


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be from 0 to 65535, not {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value
