"""Run a server as a child process and learn its URL from its first line of output.

Any server that prints its ``ws://`` (or ``wss://``) URL first on stdout works; its stderr
is kept line by line for failures. It never outlives this process
(:mod:`wsharness.runtime.children`), and runs in a session of its own, so a terminal's
Ctrl-C reaches the test run, which stops it, never a server behind the run's back.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from typing import IO

from wsharness.errors import HarnessError
from wsharness.runtime.children import parent_death_signal, stop_child


class ServerStartFailed(HarnessError):
    """The server process exited or stayed silent instead of printing its URL."""


class ServerProcess:
    """A server child process: :meth:`start` it, read :attr:`url`, :meth:`stop` it."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        startup_timeout: float = 10.0,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> None:
        self.argv = list(argv)
        self.startup_timeout = startup_timeout
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.url: str | None = None
        self._process: subprocess.Popen[str] | None = None
        self._first_line: queue.Queue[str | None] = queue.Queue(maxsize=1)
        self._log: list[str] = []
        self._log_lock = threading.Condition()
        self._readers: list[threading.Thread] = []

    def __enter__(self) -> ServerProcess:
        if self._process is None:
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def command(self) -> str:
        return " ".join(self.argv)

    @property
    def pid(self) -> int | None:
        """The process id once started (for measuring its CPU time or memory)."""
        return None if self._process is None else self._process.pid

    def start(self) -> str:
        """Start the process and wait for its URL; raise :class:`ServerStartFailed`."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(self.env or {})}
        try:
            self._process = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,  # the lifeline: only this process holds the other end
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                bufsize=1,
                env=env,
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=parent_death_signal(),
            )
        except OSError as exc:
            raise ServerStartFailed(f"cannot run {self.command}: {exc.strerror}") from None
        assert self._process.stdout is not None and self._process.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(self._process.stdout, True), daemon=True),
            threading.Thread(target=self._read, args=(self._process.stderr, False), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        try:
            line = self._first_line.get(timeout=self.startup_timeout)
        except queue.Empty:
            self.stop()
            raise ServerStartFailed(
                f"{self.command} did not print its URL within {self.startup_timeout:g} s"
                f"{self._last_log_line()}"
            ) from None
        if line is None or not line.startswith(("ws://", "wss://")):
            code = self.stop()
            said = f"printed {line!r}" if line else f"exited with code {code}"
            raise ServerStartFailed(
                f"{self.command} {said} instead of its ws:// URL{self._last_log_line()}"
            )
        self.url = line
        return line

    def stop(self, timeout: float = 5.0, *, signum: int = signal.SIGTERM) -> int | None:
        """Send ``signum`` (SIGINT acts as Ctrl-C) to the server's session, wait up to
        ``timeout`` seconds, then SIGKILL it; return the server's exit code."""
        process = self._process
        if process is None:
            return None
        # The whole session: the server, and the children of a wrapper such as sh -c too.
        stop_child(process, timeout, signum, whole_group=True)
        for reader in self._readers:
            reader.join(timeout=1)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        return process.returncode

    def log_mark(self) -> int:
        """A position in the log; pass it to :meth:`log_lines` to see later lines."""
        with self._log_lock:
            return len(self._log)

    def log_lines(self, since: int = 0) -> list[str]:
        """What the server wrote to stderr (and to stdout after its URL)."""
        with self._log_lock:
            return self._log[since:]

    def wait_for_log(self, text: str, *, since: int = 0, timeout: float = 10.0) -> int:
        """Wait until a log line after the mark ``since`` contains ``text``; return the mark
        after it, or raise :class:`TimeoutError` naming ``text``."""

        def found() -> int | None:
            for index in range(since, len(self._log)):
                if text in self._log[index]:
                    return index + 1
            return None

        with self._log_lock:
            mark = self._log_lock.wait_for(found, timeout)
        if mark is None:
            raise TimeoutError(f"{self.command} logged no line with {text!r}")
        return mark

    def _read(self, stream: IO[str], url_first: bool) -> None:
        """Keep each line in the log; with ``url_first``, the first is the URL instead."""
        if url_first:
            first = stream.readline()
            self._first_line.put(first.strip() if first else None)
        for line in stream:
            with self._log_lock:
                self._log.append(line.rstrip("\n"))
                self._log_lock.notify_all()

    def _last_log_line(self) -> str:
        lines = self.log_lines()
        return f"; it said: {lines[-1]}" if lines else ""
