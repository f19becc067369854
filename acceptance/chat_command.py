"""The command line that runs the project's chat server, written once.

:func:`acceptance.servers.start_chat_server` starts one server with it and
:mod:`acceptance.local_cluster` starts cluster nodes with it, so every chat
server a test, a tool or the suite starts is started the same way: on a free
loopback port, and stopping when its stdin (a pipe held by whoever started it)
closes, so that it never outlives the process that started it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The checkout: where ``python -m server`` and behave run from."""


def chat_server_command(
    *server_options: str, module: str = "server", command_prefix: Sequence[str] = ()
) -> list[str]:
    """``python -m server --host 127.0.0.1 --port 0 --stop-on-stdin-eof`` and then
    ``server_options`` (later options override earlier ones). ``module`` runs a server
    that takes the same options instead, such as a deliberately broken one;
    ``command_prefix`` runs it through another command, such as ``taskset -c 0``."""
    argv = [*command_prefix, sys.executable, "-m", module, "--host", "127.0.0.1"]
    return [*argv, "--port", "0", "--stop-on-stdin-eof", *server_options]
