"""TestWebSocket against servers that break the rules on purpose
(``tests/servers/misbehaving.py``, a raw socket, no WebSocket library): every failure
says its cause in one line, within the wait's timeout, and none fills the test machine."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from acceptance import testbed
from tests.measured_wait import NEVER_SENT
from tests.support import MS, run_behave, run_python
from wsharness import ConnectionFailed, HarnessError, TestWebSocket
from wsharness.client import close_at_once
from wsharness.connection import MAX_FRAGMENTS

SHORT = 500 * MS
"""The timeout of a client whose wait is meant to fail."""

MEMORY_CEILING = 200 * 2**20
"""The most a process that waits on a message without end may take, all told."""

OVER_THE_SIZE_LIMIT = "the server sent a message over the harness's 16 MiB limit (max_message_size)"
OVER_THE_FRAGMENT_LIMIT = (
    f"the server sent a message in more than {MAX_FRAGMENTS} fragments, over the harness's "
    "limit (WEBSOCKETS_MAX_FRAGMENTS)"
)


@contextmanager
def misbehaving(behaviour: str) -> Iterator[str]:
    """The URL of a server that misbehaves as ``behaviour`` says, in its own process."""
    argv = [sys.executable, "-m", "tests.servers.misbehaving", behaviour, "--port", "0"]
    with testbed.start(command=argv).process as server:
        assert server.url is not None
        yield server.url


@pytest.mark.parametrize(
    ("behaviour", "line"),
    [
        ("endless-fragments", OVER_THE_FRAGMENT_LIMIT),
        ("endless-big-fragments", OVER_THE_SIZE_LIMIT),
        ("endless-frame", OVER_THE_SIZE_LIMIT),
    ],
    ids=["small fragments", "big fragments", "one huge frame"],
)
def test_a_message_without_end_fails_the_wait_at_once_and_memory_stays_bounded(
    behaviour: str, line: str
) -> None:
    """One message that never ends (small fragments, big ones, or one frame announcing
    2**62 bytes): the wait fails well within its timeout with one line naming the
    limit, leaving the ``with`` block raises nothing, and the client's process (alone,
    measured in a process of its own) stays under 200 MiB."""
    with misbehaving(behaviour) as url:
        result = run_python("-m", "tests.measured_wait", url, env={"WS_TIMEOUT": "1"})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["error"], report["message"]) == (
        "ConnectionLost",
        f"Alice could not receive {NEVER_SENT!r}: {line}; it received nothing",
    )
    assert report["waited"] < report["timeout"]
    assert report["close_error"] is None
    assert report["peak_rss"] < MEMORY_CEILING, f"{report['peak_rss'] / 2**20:.0f} MiB"


def test_a_server_that_never_answers_the_handshake_is_named_as_such() -> None:
    """A server that accepts the TCP connection and then says nothing: whichever ends
    first, the wait or the attempt to open (both run the client's timeout), the
    failure says the handshake was never answered."""
    never_answered = re.compile(
        r"Alice could not connect to ws://127\.0\.0\.1:\d+: the server accepted the "
        r"connection but never answered the WebSocket handshake within [\d.]+ s"
    )
    with misbehaving("silent") as url, TestWebSocket(url, name="Alice", timeout=SHORT) as alice:
        with pytest.raises(HarnessError) as waited:
            alice.wait_for_message("hello")
        assert never_answered.fullmatch(str(waited.value)), str(waited.value)
        alice.wait_until("close")  # the attempt to open has given up too
        with pytest.raises(ConnectionFailed) as opened:
            alice.wait_until("open")
        assert never_answered.fullmatch(str(opened.value)), str(opened.value)


def test_a_server_that_answers_the_handshake_with_something_else_is_quoted() -> None:
    """A server that answers the handshake with another protocol's greeting: the
    failure says it is not HTTP and shows the start of what it said."""
    with (
        misbehaving("not-http") as url,
        TestWebSocket(url, name="Alice") as alice,
        pytest.raises(ConnectionFailed) as failure,
    ):
        alice.wait_until("open")
    assert str(failure.value) == (
        f"Alice could not connect to {url}: the server answered the handshake with "
        "something that is not HTTP: b'SSH-2.0-OpenSSH_9.6 hello, this is not H'..."
    )


def test_close_returns_when_the_server_ignores_the_close() -> None:
    """A server that never answers the close frame and never closes the TCP connection:
    ``close()`` (leaving the ``with`` block) drops the connection after the close
    timeout and returns, and the transcript says why it was dropped."""
    with (
        misbehaving("ignores-close") as url,
        TestWebSocket(url, name="Alice", timeout=SHORT) as alice,
    ):
        alice.wait_until("open")
    assert (alice.state, alice.close_code) == ("closed", 1006)
    assert alice.transcript[-1].detail == (
        "code 1006, the connection was dropped because the server did not answer the "
        f"close within {SHORT:g} s"
    )


def test_clients_closed_together_cost_one_close_timeout() -> None:
    """``close_at_once`` (what a scenario's end uses) closes three people on a server
    that ignores the close in about one close timeout, not three."""
    with misbehaving("ignores-close") as url:
        people = [TestWebSocket(url, name=name, timeout=SHORT) for name in ("A", "B", "C")]
        for person in people:
            person.wait_until("open")
        started = time.monotonic()
        close_at_once(people)
        took = time.monotonic() - started
    assert [person.close_code for person in people] == [1006] * 3
    assert took < 2 * SHORT, f"{took:.2f} s"


def test_the_size_limit_is_a_setting_of_the_run(tmp_path: Path) -> None:
    """``-D max_message_size`` changes every person's limit for a whole run: with 16
    bytes, an echo of 21 fails the step that waits for it, naming the limit; a size
    that is not one stops the run before anything starts."""
    echo = "features/echo.feature:10"  # A message comes back to its sender
    small = run_behave("-D", "max_message_size=16", echo, report_dir=tmp_path / "small")
    assert small.with_status("failed") == ["A message comes back to its sender"], small.output
    assert (
        "Alice could not receive 'Is anybody out there?': the server sent a message over "
        "the harness's 16 bytes limit (max_message_size)"
    ) in small.stdout
    bad = run_behave("-D", "max_message_size=lots", echo, report_dir=tmp_path / "bad")
    assert (
        "ABORTED: cannot run the acceptance suite: bad setting: max_message_size must be a "
        "size such as 16MiB, 512KiB or 1048576 (bytes), not 'lots'"
    ) in bad.stderr


def test_a_server_that_pings_faster_than_it_reads_fails_the_wait_and_memory_stays_bounded() -> None:
    """A server that sends pings without end and never reads the pongs: the pongs would
    pile up in the client without end. Past its message size limit of them the client
    gives up, the wait fails at once saying why, and the process stays under 200 MiB."""
    with misbehaving("ping-flood") as url:
        result = run_python("-m", "tests.measured_wait", url, env={"WS_TIMEOUT": "3"})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["error"], report["message"]) == (
        "ConnectionLost",
        f"Alice could not receive {NEVER_SENT!r}: the server sent pings faster than it read "
        "the pongs: over the harness's 16 MiB limit (max_message_size) of them waiting to "
        "be sent; it received nothing",
    )
    assert report["waited"] < report["timeout"]
    assert report["close_error"] is None
    assert report["peak_rss"] < MEMORY_CEILING, f"{report['peak_rss'] / 2**20:.0f} MiB"


def test_close_returns_when_the_server_has_stopped_reading_and_ignores_the_close() -> None:
    """A server that reads nothing after the handshake: the client's send buffer fills,
    its close frame can never be written, and ``close()`` still returns once the close
    timeout has passed, the transcript saying the connection was dropped."""
    with misbehaving("deaf") as url:
        alice = TestWebSocket(url, name="Alice", timeout=SHORT)
        alice.wait_until("open")
        with pytest.raises(HarnessError):
            for _ in range(256):  # far more than the kernel's buffers hold
                alice.send("x" * 2**20)
        started = time.monotonic()
        alice.close()
        took = time.monotonic() - started
    assert (alice.state, alice.close_code) == ("closed", 1006)
    assert took < 3 * SHORT, f"{took:.2f} s"
    assert "the connection was dropped because the server did not answer the close" in (
        alice.transcript[-1].detail
    )
