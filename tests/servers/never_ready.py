"""A server that never gets ready: for a test that presses Ctrl-C during start-up.

``python -m tests.servers.never_ready [any options]`` writes ``starting PID`` to the
FIFO named by ``NEVER_READY_FIFO`` (so the test knows the start-up has begun, without
waiting for a time, and can end it), then never prints a URL; it ends with its stdin,
as the chat server does.
"""

import os
import sys


def main() -> None:
    with open(os.environ["NEVER_READY_FIFO"], "w", encoding="utf-8") as fifo:
        fifo.write(f"starting {os.getpid()}\n")
    sys.stdin.read()


if __name__ == "__main__":
    main()
