"""Command line for the chat server.

Once listening, the server prints its URL (``ws://HOST:PORT``, ``wss://`` with
``--certfile``) as the first line on stdout, so a script can start it with
``--port 0`` and read where it is. Log lines go to stderr; no token ever
appears in them. The server runs on uvloop when it is installed
(``--event-loop`` chooses; see :mod:`wsharness.runtime.loops`). SIGINT and SIGTERM close
every client with 1001 and exit with status 0; with ``--stop-on-stdin-eof``, so
does the end of stdin, which is how a test run that started the server makes sure
it never outlives the run (:mod:`wsharness.runtime.children`); with
``--auth-token-file``, SIGHUP reads the token file again.

With ``--broker redis://HOST:PORT/DB`` the server is one node of a cluster that
shares its groups through that Redis (:mod:`server.cluster`); its log lines
then name the node.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import signal
import ssl
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection

from server.access import Gate, RedactSecrets, TokenFile, TokenFileError, valid_origin
from server.app import ChatServer, Limits
from server.chat import Chat
from wsharness.runtime.limits import raise_open_file_limit
from wsharness.runtime.loops import EVENT_LOOPS, loop_factory
from wsharness.runtime.signals import stdin_is_a_pipe, watch_for_stop

if TYPE_CHECKING:
    from server.cluster.node import Node

N = TypeVar("N", int, float)

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
        "--max-queued-bytes",
        type=_positive_int,
        default=defaults.max_queued_bytes,
        metavar="BYTES",
        help="cut off, with close code 1013, a connection that would have more than BYTES "
        "of messages from others waiting to be sent to it, because it reads too slowly "
        "(default: 4 MiB; at least --max-message-size)",
    )
    parser.add_argument(
        "--max-rate",
        type=_positive_number,
        metavar="N",
        help="answer requests beyond N per second from one connection (bursts of N allowed) "
        "with an ERROR reply instead of handling them (default: no limit)",
    )
    parser.add_argument(
        "--receive-buffer",
        type=_non_negative_int,
        default=defaults.receive_buffer,
        metavar="BYTES",
        help="each connection's kernel receive buffer, which bounds how much of one "
        "client's input is handled before others get a turn; 0 leaves the system's "
        "autotuning (default: 65536)",
    )
    parser.add_argument(
        "--open-timeout",
        type=_positive_seconds,
        default=defaults.open_timeout,
        metavar="SECONDS",
        help="close connections whose TLS and WebSocket handshakes are not done within "
        f"SECONDS (default: {defaults.open_timeout:g})",
    )
    parser.add_argument(
        "--ping-interval",
        type=_seconds_or_off,
        default=defaults.ping_interval,
        metavar="SECONDS",
        help=f"send a keepalive ping every SECONDS; 0 sends none (default: "
        f"{defaults.ping_interval:g})",
    )
    parser.add_argument(
        "--ping-timeout",
        type=_seconds_or_off,
        default=defaults.ping_timeout,
        metavar="SECONDS",
        help="drop a connection whose ping is not answered within SECONDS; 0 waits forever "
        f"(default: {defaults.ping_timeout:g})",
    )
    parser.add_argument(
        "--compression",
        choices=("off", "deflate"),
        default="off",
        help="agree to permessage-deflate when a client offers it (default: off; see "
        "docs/protocol.md for what it costs)",
    )
    parser.add_argument(
        "--certfile", metavar="PEM", help="serve wss:// with this certificate (chain)"
    )
    parser.add_argument(
        "--keyfile",
        metavar="PEM",
        help="the private key of --certfile (default: the key is in the --certfile file)",
    )
    parser.add_argument(
        "--auth-token-file",
        metavar="FILE",
        help="refuse, with HTTP 401, connections that do not present one of the tokens in "
        "FILE (one per line; # comments) as 'Authorization: Bearer TOKEN' or ?token=TOKEN; "
        "SIGHUP reads FILE again (default: anyone may connect)",
    )
    parser.add_argument(
        "--allowed-origin",
        type=_origin,
        action="append",
        metavar="ORIGIN",
        help="refuse, with HTTP 403, handshakes whose Origin header is not ORIGIN "
        "(e.g. https://chat.example.com; repeatable); handshakes without one are allowed "
        "(default: any origin)",
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
    args = parser.parse_args(argv)
    if args.max_queued_bytes < args.max_message_size:
        parser.error(
            f"--max-queued-bytes ({args.max_queued_bytes}) must be at least "
            f"--max-message-size ({args.max_message_size})"
        )
    if args.keyfile is not None and args.certfile is None:
        parser.error("--keyfile needs --certfile")
    return args


def main(
    argv: Sequence[str] | None = None,
    *,
    node_class: type[Node[ServerConnection]] | None = None,
) -> int:
    """Run the server from the command line ``argv``; return the exit status.

    ``node_class`` runs each cluster node as that subclass of
    :class:`~server.cluster.node.Node` (a deliberately broken one, for
    tests); it needs ``--broker``, and the log lines then name it too."""
    args = parse_args(argv)
    if node_class is not None and args.broker is None:
        print(f"server: --broker is required to run a {node_class.__name__} node", file=sys.stderr)
        return 2
    try:
        chat, log_format = _chat(args, node_class)
    except ImportError as exc:
        print(
            f"server: --broker needs the redis package ({exc}); pip install -r requirements.txt",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(stream=sys.stderr, level=args.log_level.upper(), format=log_format)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactSecrets())  # the library's debug lines show headers
    # The library's own per-connection lines would repeat ours.
    logging.getLogger("websockets").setLevel(
        logging.DEBUG if args.log_level == "debug" else logging.ERROR
    )
    raise_open_file_limit()
    limits = Limits(
        max_message_size=args.max_message_size,
        max_group_name=args.max_group_name,
        max_connections=args.max_connections,
        max_queued_bytes=args.max_queued_bytes,
        max_rate=args.max_rate,
        receive_buffer=args.receive_buffer or None,
        open_timeout=args.open_timeout,
        ping_interval=args.ping_interval,
        ping_timeout=args.ping_timeout,
        compression=args.compression == "deflate",
    )
    if args.stop_on_stdin_eof and not stdin_is_a_pipe():
        print(
            "server: --stop-on-stdin-eof needs stdin to be a pipe from the process "
            "that starts the server",
            file=sys.stderr,
        )
        return 2
    try:
        gate = _gate(args)
        tls = _tls_context(args.certfile, args.keyfile) if args.certfile else None
    except (TokenFileError, ValueError) as exc:
        print(f"server: {exc}", file=sys.stderr)
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
                    ChatServer(limits, chat=chat, gate=gate, tls=tls),
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
    server: ChatServer,
    host: str,
    port: int,
    loop_name: str = "asyncio",
    *,
    stop_on_stdin_eof: bool = False,
) -> None:
    """Start ``server``, print its URL, and serve until SIGINT or SIGTERM (or, with
    ``stop_on_stdin_eof``, the end of stdin)."""
    # Handlers first: whoever reads the URL may send SIGTERM the next instant.
    stopped = watch_for_stop(stop_on_stdin_eof=stop_on_stdin_eof)
    log = logging.getLogger("chat.server")
    tokens = server.gate.tokens
    if tokens is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, _reload_tokens, tokens, log)
    url = await server.start(host, port)
    print(url, flush=True)
    log.info("listening on %s (%s event loop)", url, loop_name)
    _log_access(server.gate, log)
    log.info("shutting down on %s", await stopped)
    await server.stop()
    log.info("stopped")


def _chat(
    args: argparse.Namespace, node_class: type[Node[ServerConnection]] | None = None
) -> tuple[Chat[ServerConnection], str]:
    """The chat, on a cluster node's store if ``--broker`` is given (else on this
    process's memory), and the log format, which then names the node (and
    ``node_class``, if given)."""
    if args.broker is None:
        return Chat(), LOG_FORMAT
    from server.cluster.keys import new_node_id  # imports redis: only for a cluster
    from server.cluster.node import Node

    node_id = new_node_id()
    store = (node_class or Node)(args.broker, node_id=node_id, node_timeout=args.node_timeout)
    label = f"node {node_id}" if node_class is None else f"node {node_id} [{node_class.__name__}]"
    return Chat(store), LOG_FORMAT.replace("%(message)s", f"{label} %(message)s")


def _gate(args: argparse.Namespace) -> Gate:
    """Who may connect, from the options; reads the token file once."""
    tokens = None
    if args.auth_token_file is not None:
        tokens = TokenFile(args.auth_token_file)
        tokens.load()
    return Gate(tokens, args.allowed_origin)


def _tls_context(certfile: str, keyfile: str | None) -> ssl.SSLContext:
    """A server TLS context from PEM files; ValueError in one line if they are unusable."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    files = certfile if keyfile is None else f"{certfile} and {keyfile}"
    try:
        context.load_cert_chain(certfile, keyfile)
    except ssl.SSLError as exc:
        if exc.reason == "KEY_VALUES_MISMATCH":
            detail = "the private key does not belong to the certificate"
        elif exc.reason in ("PEM_LIB", None):  # OpenSSL gives no reason for a missing PEM part
            detail = "no PEM certificate with its private key" + (
                " (give the key with --keyfile)" if keyfile is None else ""
            )
        else:
            detail = str(exc.reason or exc)
        raise ValueError(f"cannot serve TLS with {files}: {detail}") from None
    except OSError as exc:
        raise ValueError(f"cannot serve TLS with {files}: {exc.strerror or exc}") from None
    return context


def _log_access(gate: Gate, log: logging.Logger) -> None:
    """Say once at start who may connect; warn when any web page may."""
    if gate.tokens is not None:
        log.info("connections need a token: %d loaded from %s", len(gate.tokens), gate.tokens.path)
    if gate.origins is None:
        log.warning(
            "any web page may open a connection: no --allowed-origin given, "
            "so the Origin header is not checked"
        )
    else:
        log.info("web pages may connect only from %s", ", ".join(sorted(gate.origins)))


def _reload_tokens(tokens: TokenFile, log: logging.Logger) -> None:
    """SIGHUP: read the token file again; on failure keep the tokens loaded before."""
    try:
        count = tokens.load()
    except TokenFileError as exc:
        log.error("tokens not reloaded: %s; still accepting the %d loaded before", exc, len(tokens))
        return
    log.info("tokens reloaded: %d from %s", count, tokens.path)


def _broker_url(text: str) -> str:
    if urlsplit(text).scheme not in BROKER_SCHEMES:
        raise argparse.ArgumentTypeError(
            f"must be a Redis URL like redis://127.0.0.1:6379/0, not {text}"
        )
    return text


def _origin(text: str) -> str:
    if not valid_origin(text):
        raise argparse.ArgumentTypeError(
            f"must be an origin like https://chat.example.com, not {text}"
        )
    return text


def _checked_number(
    convert: Callable[[str], N], accept: Callable[[N], bool], wanted: str
) -> Callable[[str], N]:
    """An argparse ``type``: ``convert`` the text, then refuse it in one line
    ("must be WANTED, not TEXT") unless ``accept`` says yes (NaN and infinity never do)."""

    def parse(text: str) -> N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {wanted}, not {text}") from None
        if value != value or abs(value) == math.inf or not accept(value):
            raise argparse.ArgumentTypeError(f"must be {wanted}, not {text}")
        return value

    return parse


_port = _checked_number(int, lambda value: 0 <= value <= 65535, "from 0 to 65535")
_positive_int = _checked_number(int, lambda value: value > 0, "a positive number")
_non_negative_int = _checked_number(int, lambda value: value >= 0, "a number, 0 or more")
_positive_number = _checked_number(float, lambda value: value > 0, "a positive number")
_positive_seconds = _checked_number(float, lambda value: value > 0, "a positive number of seconds")
_seconds = _checked_number(float, lambda value: value >= 0, "a number of seconds, 0 or more")


def _seconds_or_off(text: str) -> float | None:
    """Seconds, where 0 means "off" (None)."""
    return _seconds(text) or None
