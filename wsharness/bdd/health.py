"""Whether the servers under test work: reachable, healthy, and still so during the run.

:func:`check_target` runs before the first scenario, so a dead or unhealthy server stops
the run once, in one line, instead of failing every scenario; :class:`HttpHealthCheck`
is the health check a project can declare (the library requires none, and then checks
reachability only); :class:`DeploymentWatch` keeps asking while the scenarios run, so a
server (or the broker behind it) that goes away is reported once, promptly.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from wsharness.bdd.options import ConnectionOptions
from wsharness.bdd.target import Target
from wsharness.client import TestWebSocket, connection_failure_reason
from wsharness.errors import HarnessError


class ServerUnavailable(HarnessError):
    """The server under test could not be started or reached; the message is one line."""


class DeploymentBroke(HarnessError):
    """Raised in the step that was running when a server under test stopped answering."""


@dataclass(frozen=True)
class HealthAnswer:
    status: int | None
    """The HTTP status, or None when no answer came."""
    text: str
    """The body's first line, or why no answer came."""
    timed_out: bool = False
    """No answer came within the time given: busy, or hung, but not refusing."""

    @property
    def healthy(self) -> bool:
        return self.status == 200


class HealthCheck(Protocol):
    """A project's way to ask one server whether it is healthy."""

    @property
    def description(self) -> str:
        """What is asked, for messages: ``GET /healthz``."""

    def ask(self, url: str, options: ConnectionOptions, *, timeout: float) -> HealthAnswer: ...


@dataclass(frozen=True)
class HttpHealthCheck:
    """GET ``path`` over plain HTTP(S) on the WebSocket server's port, with no token."""

    path: str = "/healthz"

    @property
    def description(self) -> str:
        return f"GET {self.path}"

    def url(self, url: str) -> str:
        """The health URL of the WebSocket server at ``url``."""
        parts = urlsplit(url)
        scheme = "https" if parts.scheme == "wss" else "http"
        return urlunsplit((scheme, parts.netloc, self.path, "", ""))

    def ask(self, url: str, options: ConnectionOptions, *, timeout: float) -> HealthAnswer:
        health_url = self.url(url)
        tls = options.tls_context() if health_url.startswith("https:") else None
        try:
            with urllib.request.urlopen(health_url, timeout=timeout, context=tls) as response:
                return HealthAnswer(response.status, _first_line(response.read()))
        except urllib.error.HTTPError as error:
            return HealthAnswer(error.code, _first_line(error.read()))
        except (OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError):
                return HealthAnswer(None, f"no answer within {timeout:g} s", timed_out=True)
            return HealthAnswer(None, connection_failure_reason(reason, timeout, url=url))


def health_check_for(target: Target, declared: HealthCheck | None) -> HealthCheck | None:
    """The health check to ask ``target``'s servers: the project's, unless
    ``skip_checks`` switches it off (a server without one, such as another
    implementation of the protocol, is then checked for reachability only)."""
    return None if "health" in target.skip_checks else declared


def check_reachable(url: str, options: ConnectionOptions, *, name: str = "") -> str:
    """Open and close one connection with the run's options, so a dead or misconfigured
    server fails the run once, early, in one line; return its ``Server`` header, or ""."""
    try:
        with TestWebSocket(url, name="the server check", **options.connect_arguments(url)) as probe:
            probe.wait_until("open")
            return probe.response_headers.get("Server", "")
    except ValueError as exc:
        raise ServerUnavailable(f"cannot test {name or url!r}: {exc}") from None
    except HarnessError as exc:
        reason = str(exc).split(": ", 1)[-1] if name else str(exc)
        where = f"{name} cannot be reached: " if name else "cannot reach the server under test: "
        raise ServerUnavailable(where + reason) from None


def check_target(
    target: Target, health_check: HealthCheck | None, *, timeout: float
) -> tuple[str, ...]:
    """Every server of ``target`` accepts a connection and, with a health check, says
    it is healthy; otherwise :class:`ServerUnavailable` names the first that does not.
    Returns what each server says it is (:func:`check_reachable`), in order."""
    software = []
    for index, url in enumerate(target.urls):
        name = target.node_name(index)
        software.append(check_reachable(url, target.options, name=name))
        if health_check is not None:
            answer = health_check.ask(url, target.options, timeout=timeout)
            if not answer.healthy:
                raise ServerUnavailable(f"{name} is not healthy: {_told(health_check, answer)}")
    return tuple(software)


def ask_every_node(
    target: Target,
    health_check: HealthCheck | None,
    options: ConnectionOptions,
    *,
    timeout: float,
) -> list[tuple[str, HealthAnswer]]:
    """Each server of ``target`` by name, with what ``health_check`` answered when asked
    with ``options`` (a monitor's, no token); AssertionError if the project declares none."""
    if health_check is None:
        raise AssertionError("the project declares no health check: configure(health_check=...)")
    return [
        (target.node_name(index), health_check.ask(url, options, timeout=timeout))
        for index, url in enumerate(target.urls)
    ]


def assert_every_node_healthy(answers: list[tuple[str, HealthAnswer]]) -> None:
    """AssertionError naming every server whose answer (:func:`ask_every_node`) was not 200,
    with its status (or "nothing") and what it said."""
    unhealthy = [
        f"{node} answered {answer.status if answer.status is not None else 'nothing'}"
        + (f" ({answer.text})" if answer.text else "")
        for node, answer in answers
        if not answer.healthy
    ]
    if unhealthy:
        raise AssertionError("not every server is healthy:\n  " + "\n  ".join(unhealthy))


SLOW_GRACE = 5
"""How many times longer than its grace the watch waits for a server that answers
nothing at all (no refusal, no status) before it counts as gone."""


@dataclass(eq=False)
class DeploymentWatch:
    """A thread that asks every server, every ``interval`` seconds, whether it still
    answers (its health check, or else a TCP connection); one that has failed for
    ``grace`` seconds (:data:`SLOW_GRACE` times that if it is only slow, so a loaded
    machine does not stop a run) sets :attr:`broken` and is told to ``on_broken``, on
    the watch's thread. A scenario that takes servers down on purpose pauses it."""

    target: Target
    health_check: HealthCheck | None
    _: KW_ONLY
    interval: float = 1.0
    grace: float = 2.0
    timeout: float = 3.0
    on_broken: Callable[[str], None] | None = None
    broken: str | None = field(default=None, init=False)
    """One line naming the server that stopped answering and what it said; None
    while all answer."""
    _failing_since: dict[int, float] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    """Guards ``broken``, ``_failing_since`` and pausing: the watch's thread and the
    run's main thread (:meth:`check_now`, :meth:`pause`) both change them."""
    _paused: bool = field(default=False, init=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, name="deployment watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop watching; returns once the watch's thread has ended, so nothing it
        finds afterwards can stop a run that is over."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(self.timeout + self.interval + 1)

    def pause(self) -> None:
        """Stop judging: servers are being taken down on purpose."""
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        """Judge again, forgetting the failures seen while paused (and only those)."""
        with self._lock:
            if self._paused:
                self._failing_since.clear()
            self._paused = False

    def check_now(self) -> str | None:
        """Ask every server once, now (after a step failed, say): one that refuses or is
        unhealthy is gone without a grace, since the failure showed it. Returns :attr:`broken`."""
        for index, url in enumerate(self.target.urls):
            problem, slow = self._problem(url)
            if problem is not None and not slow:
                self._declare(index, problem)
                break
        return self.broken

    def _run(self) -> None:
        # A cadence, not a synchronisation: between rounds the thread waits on its
        # stop event, so stop() ends it at once.
        while not self._stopping.wait(self.interval) and self.broken is None:
            for index, url in enumerate(self.target.urls):
                problem, slow = self._problem(url)
                with self._lock:
                    if self._paused or self._stopping.is_set():
                        break
                    if problem is None:
                        self._failing_since.pop(index, None)
                        continue
                    since = self._failing_since.setdefault(index, time.monotonic())
                grace = self.grace * (SLOW_GRACE if slow else 1)
                if time.monotonic() - since >= grace:
                    self._declare(index, problem)
                    return

    def _declare(self, index: int, problem: str) -> None:
        """Say, once, that server ``index`` is gone, unless the watch is paused or
        stopping; then tell ``on_broken``."""
        with self._lock:
            if self.broken is not None or self._paused or self._stopping.is_set():
                return
            self.broken = f"{self.target.node_name(index)} stopped answering: {problem}"
        if self.on_broken is not None:
            self.on_broken(self.broken)

    def _problem(self, url: str) -> tuple[str | None, bool]:
        """What is wrong with the server at ``url``, if anything, and whether it is
        only slowness."""
        if self.health_check is not None:
            answer = self.health_check.ask(url, self.target.options, timeout=self.timeout)
            return (None if answer.healthy else _told(self.health_check, answer)), answer.timed_out
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "wss" else 80)
        try:
            with socket.create_connection((parts.hostname, port), timeout=self.timeout):
                return None, False
        except OSError as exc:
            reason = connection_failure_reason(exc, self.timeout, url=url)
            return reason, isinstance(exc, TimeoutError)


def _told(health_check: HealthCheck, answer: HealthAnswer) -> str:
    if answer.status is None:
        return f"{health_check.description} got no answer: {answer.text}"
    return f"{health_check.description} answered {answer.status}" + (
        f" ({answer.text})" if answer.text else ""
    )


def _first_line(body: bytes) -> str:
    lines = body.decode("utf-8", errors="replace").strip().splitlines()
    return lines[0][:200] if lines else ""
