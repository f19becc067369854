"""One wait of a TestWebSocket in a process of its own, measured: what a misbehaving
server costs the harness alone, without the test run's memory around it.

``python -m tests.measured_wait URL`` connects as Alice, waits for a message that
never comes (``WS_TIMEOUT``, as for any client), closes, and prints one JSON line:
``error`` and ``message``, what the wait raised (null if nothing); ``waited``, the
seconds it took; ``timeout``, Alice's timeout; ``close_error``, what leaving the
``with`` block raised (null if nothing); ``peak_rss``, the process's peak resident
memory in bytes (``VmHWM``).
"""

from __future__ import annotations

import json
import sys
import time

from wsharness import HarnessError, TestWebSocket

NEVER_SENT = "a message that never comes"


def _peak_rss() -> int:
    """This process's peak resident size in bytes: ``VmHWM``, the high-water mark of
    its own memory since ``exec``. (``ru_maxrss`` would not do: Linux carries it over
    from the process that forked this one, so under a large pytest it reports pytest.)"""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    report: dict[str, object] = {"error": None, "message": None, "close_error": None}
    try:
        with TestWebSocket(sys.argv[1], name="Alice") as alice:
            report["timeout"] = alice.timeout
            started = time.monotonic()
            try:
                alice.wait_for_message(NEVER_SENT)
            except HarnessError as exc:
                report["error"], report["message"] = type(exc).__name__, str(exc)
            report["waited"] = time.monotonic() - started
    except HarnessError as exc:
        report["close_error"] = str(exc)
    report["peak_rss"] = _peak_rss()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
