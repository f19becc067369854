"""Command line for the chat server.

Once listening, the server prints its URL (``ws://HOST:PORT``, ``wss://`` with
``--certfile``) as the first line on stdout, so a script can start it with ``--port 0``
and read where it is. Log lines go to stderr, never with a token. SIGINT and SIGTERM
(and, with ``--stop-on-stdin-eof``, the end of stdin: :mod:`wsharness.runtime.children`)
close every client with 1001 and exit with status 0; SIGHUP reads ``--auth-token-file``
again. With ``--broker`` the server is one node of a cluster (:mod:`server.cluster`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import ssl
import sys
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection

from server.access import Gate, RedactSecrets, TokenFile, TokenFileError, valid_origin
from server.app import ChatServer
from server.chat import Chat
from server.limits import DEFAULT_NODE_TIMEOUT, Limits, checked, checked_number, positive_seconds
from wsharness.runtime.limits import raise_open_file_limit
from wsharness.runtime.loops import EVENT_LOOPS, loop_factory
from wsharness.runtime.signals import stdin_is_a_pipe, watch_for_stop

if TYPE_CHECKING:
    from server.cluster.node import Node

LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"
BROKER_SCHEMES = ("redis", "rediss", "unix")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m server", description="Run the WebSocket chat server."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=_port, default=8765, help="port to listen on; 0 picks a free one"
    )
    for limit in fields(Limits):
        parser.add_argument(
            f"--{limit.name.replace('_', '-')}", default=limit.default, **limit.metadata
        )
    _add_access_options(parser)
    _add_process_options(parser)
    args = parser.parse_args(argv)
    if args.max_queued_bytes < args.max_message_size:
        parser.error(
            f"--max-queued-bytes ({args.max_queued_bytes}) must be at least "
            f"--max-message-size ({args.max_message_size})"
        )
    if args.keyfile is not None and args.certfile is None:
        parser.error("--keyfile needs --certfile")
    return args


def _add_access_options(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--certfile", metavar="PEM", help="serve wss:// with this certificate (chain)")
    add(
        "--keyfile",
        metavar="PEM",
        help="the private key of --certfile (default: the key is in the --certfile file)",
    )
    add(
        "--auth-token-file",
        metavar="FILE",
        help="refuse, with HTTP 401, connections that do not present one of the tokens in "
        "FILE (one per line; # comments) as 'Authorization: Bearer TOKEN' or ?token=TOKEN; "
        "SIGHUP reads FILE again (default: anyone may connect)",
    )
    add(
        "--allowed-origin",
        type=_origin,
        action="append",
        metavar="ORIGIN",
        help="refuse, with HTTP 403, handshakes whose Origin header is not ORIGIN "
        "(e.g. https://chat.example.com; repeatable); handshakes without one are allowed "
        "(default: any origin)",
    )


def _add_process_options(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--event-loop",
        choices=EVENT_LOOPS,
        default="auto",
        help="auto (the default) runs on uvloop if it is installed, else on asyncio's own loop",
    )
    add("--log-level", choices=LOG_LEVELS, default="info", help="default: info")
    add(
        "--stop-on-stdin-eof",
        action="store_true",
        help="also stop when stdin, a pipe from the process that started the server, closes: "
        "the server then goes away with that process, however it ends",
    )
    add(
        "--broker",
        type=_broker_url,
        metavar="URL",
        help="run as one node of a cluster sharing its groups through this Redis, "
        "e.g. redis://127.0.0.1:6379/0 (default: no cluster, groups in this process)",
    )
    add(
        "--node-timeout",
        type=positive_seconds,
        default=DEFAULT_NODE_TIMEOUT,
        metavar="SECONDS",
        help="with --broker: a node silent this long counts as dead and its members are "
        "removed within a third of it more (default: %(default)g)",
    )


class _Refused(Exception):
    """A reason not to start, for one line on stderr and exit status 2."""


def main(
    argv: Sequence[str] | None = None,
    *,
    node_class: type[Node[ServerConnection]] | None = None,
) -> int:
    """Run the server from the command line ``argv``; return the exit status.
    ``node_class``, with ``--broker``: run the node as that (deliberately broken) subclass."""
    args = parse_args(argv)
    try:
        server, loop_name, new_loop = _prepare(args, node_class)
    except _Refused as refused:
        print(f"server: {refused}", file=sys.stderr)
        return 2
    serving = serve_until_signalled(
        server, args.host, args.port, loop_name, stop_on_stdin_eof=args.stop_on_stdin_eof
    )
    try:
        with asyncio.Runner(loop_factory=new_loop) as runner:
            runner.run(serving)
    except OSError as exc:
        print(
            f"server: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    return 0


def _prepare(
    args: argparse.Namespace, node_class: type[Node[ServerConnection]] | None
) -> tuple[ChatServer, str, Callable[[], asyncio.AbstractEventLoop]]:
    """The server the options ask for, set up to log; :class:`_Refused` if it cannot be."""
    if node_class is not None and args.broker is None:
        raise _Refused(f"--broker is required to run a {node_class.__name__} node")
    try:
        chat, log_format = _chat(args, node_class)
    except ImportError as exc:
        raise _Refused(
            f"--broker needs the redis package ({exc}); pip install -r requirements.txt"
        ) from None
    _log_to_stderr(args.log_level, log_format)
    raise_open_file_limit()
    if args.stop_on_stdin_eof and not stdin_is_a_pipe():
        raise _Refused(
            "--stop-on-stdin-eof needs stdin to be a pipe from the process that starts the server"
        )
    try:
        gate = _gate(args)
        tls = _tls_context(args.certfile, args.keyfile) if args.certfile else None
        loop_name, new_loop = loop_factory(args.event_loop)
    except (TokenFileError, ValueError, RuntimeError) as exc:
        raise _Refused(str(exc)) from None
    limits = Limits(**{limit.name: getattr(args, limit.name) for limit in fields(Limits)})
    return ChatServer(limits, chat=chat, gate=gate, tls=tls), loop_name, new_loop


def _log_to_stderr(level: str, log_format: str) -> None:
    logging.basicConfig(stream=sys.stderr, level=level.upper(), format=log_format)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactSecrets())  # the library's debug lines show headers
    # The library's own per-connection lines would repeat ours.
    logging.getLogger("websockets").setLevel(logging.DEBUG if level == "debug" else logging.ERROR)


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
    """The chat, on a cluster node's store with ``--broker``, and the log format, which
    then names the node."""
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


_broker_url = checked(
    str,
    lambda text: urlsplit(text).scheme in BROKER_SCHEMES,
    "a Redis URL like redis://127.0.0.1:6379/0",
)
_origin = checked(str, valid_origin, "an origin like https://chat.example.com")
_port = checked_number(int, lambda value: 0 <= value <= 65535, "from 0 to 65535")
