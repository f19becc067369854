"""The one way to start what a run or a test needs: :func:`start`.

``start()`` starts the chat server on a free loopback port, ``start(nodes=3)`` a
``redis-server`` of its own and three nodes sharing it, ``start(secured=True)`` a server
of ``wss://`` with a throwaway certificate and a token. The :class:`Bed` it returns
stops everything it started, however the caller ends::

    with testbed.start(nodes=3, node_timeout=1) as bed:
        bed.take_node_down(1)    # SIGKILL, as if the machine were gone
        bed.restart_broker()     # an empty Redis on the same port

Each server is a process of its own (thousands of test clients and the server do not
share one GIL) that stops at the end of its stdin, a pipe this process holds, so it
never outlives the run. Behave's hooks (``environment.py``), the acceptance stage, the
tests and the benchmarks start every server here.
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from wsharness import HarnessError, ServerProcess
from wsharness.bdd.health import check_reachable
from wsharness.bdd.options import ConnectionOptions
from wsharness.bdd.setup import SuiteServer
from wsharness.runtime.children import parent_death_signal, stop_child

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The checkout: where ``python -m server`` and behave run from."""

STARTUP_TIMEOUT = 10.0
"""Seconds a server may take to print its URL."""

REDIS_SERVER = "redis-server"
INSTALL_REDIS = "install Debian's redis-server package (apt-get install redis-server)"
INSTALL_TRUSTME = "pip install -r requirements-dev.txt (trustme makes throwaway certificates)"
_READY = "Ready to accept connections"
_PORT_TAKEN = "Address already in use"


class ClusterStartFailed(HarnessError):
    """Redis or a node did not start; the message is one line."""


class RedisUnavailable(ClusterStartFailed):
    """redis-server is missing or did not start; the message is one line."""


def start(
    *options: str,
    nodes: int = 0,
    secured: bool = False,
    module: str = "server",
    command: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | Path = PROJECT_ROOT,
    command_prefix: Sequence[str] = (),
    node_timeout: float | None = None,
    startup_timeout: float = STARTUP_TIMEOUT,
) -> Bed:
    """Start the chat server with ``options`` (with ``nodes``, a Redis and that many nodes
    on it), or ``module`` with the same options, or ``command`` (which prints its URL
    first), through ``command_prefix`` (such as ``taskset -c 0``); return the :class:`Bed`
    once every server has printed its URL. Raises ServerStartFailed (ClusterStartFailed for a
    cluster), or RuntimeError for ``secured`` without trustme, in one line, having
    stopped whatever it started."""
    bed = Bed([], env=env, cwd=str(cwd), startup_timeout=startup_timeout)
    try:
        if secured:
            bed.folder = tempfile.TemporaryDirectory(prefix="secured-")
            bed.credentials = Credentials.create(Path(bed.folder.name))
            options = (*bed.credentials.server_options(), *options)
        if nodes:
            bed.redis = RedisServer(command_prefix=command_prefix)
            timeout = () if node_timeout is None else ("--node-timeout", f"{node_timeout:g}")
            options = ("--broker", bed.redis.start(), *timeout, *options)
        argv = chat_server_command(*options, module=module) if command is None else command
        bed.argv = [*command_prefix, *argv]
        bed.processes = [bed.new_process(bed.argv) for _ in range(max(nodes, 1))]
        problems = [p for p in _start_all(bed.processes) if p is not None]
        if problems and nodes:
            raise ClusterStartFailed(f"a cluster node did not start: {problems[0]}")
        if problems:
            raise problems[0]
    except BaseException:
        bed.stop()
        raise
    bed.urls = [process.url or "" for process in bed.processes]
    return bed


def chat_server_command(*options: str, module: str = "server") -> list[str]:
    """``python -m server --host 127.0.0.1 --port 0 --stop-on-stdin-eof``, then ``options``,
    which override those; ``module`` runs another server that takes the same options."""
    argv = [sys.executable, "-m", module, "--host", "127.0.0.1"]
    return [*argv, "--port", "0", "--stop-on-stdin-eof", *options]


@dataclass
class Bed(SuiteServer):
    """What :func:`start` started: its servers (``urls``, ``processes``), a cluster's
    ``redis``, a secured bed's ``credentials``; a context manager that stops them all."""

    redis: RedisServer | None = None
    credentials: Credentials | None = None
    folder: tempfile.TemporaryDirectory[str] | None = None
    nodes_down: set[int] = field(default_factory=set)
    argv: list[str] = field(default_factory=list)
    env: Mapping[str, str] | None = None
    cwd: str = str(PROJECT_ROOT)
    startup_timeout: float = STARTUP_TIMEOUT

    def __enter__(self) -> Bed:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def process(self) -> ServerProcess:
        """The first server's process; ``with start().process as server:`` stops all a
        bed of one server, not secured, started."""
        return self.processes[0]

    def stop(self) -> list[int | None]:
        """Stop every server (SIGTERM), then Redis, and remove the credentials;
        return the servers' exit codes."""
        codes = super().stop()
        if self.redis is not None:
            self.redis.stop()
        if self.folder is not None:
            self.folder.cleanup()
        return codes

    def take_node_down(self, index: int) -> int | None:
        """SIGKILL node ``index``: it dies without a word, as if its machine were gone.
        Returns its exit code (-9, or what it exited with before)."""
        self.nodes_down.add(index)
        return self.processes[index].stop(signum=signal.SIGKILL)

    def bring_nodes_back(self) -> None:
        """Start every node taken down again, on its old address."""
        for index in sorted(self.nodes_down):
            self.restart_node(index)
            check_reachable(self.urls[index], self.connection_options())
        self.nodes_down.clear()

    def restart_node(self, index: int) -> None:
        """Start node ``index`` again (stopping it first) on its port and in its place in
        :attr:`processes`, so its URL and its logs stay the running node's."""
        self.processes[index].stop()
        node = self.new_process([*self.argv, "--port", self.urls[index].rsplit(":", 1)[1]])
        problem = _try_start(node)
        if problem is not None:
            raise ClusterStartFailed(f"node {index + 1} did not start again: {problem}")
        self.processes[index] = node

    def restart_broker(self) -> None:
        """Restart Redis on the same port, empty, as after a crash."""
        assert self.redis is not None, "restart_broker needs a cluster: start(nodes=N)"
        self.redis.restart()

    def connection_options(self, *, origin: str | None = None) -> ConnectionOptions:
        """How a client connects: with a secured bed's CA and token, and ``origin``."""
        credentials = self.credentials
        if credentials is None:
            return ConnectionOptions(origin=origin)
        return ConnectionOptions(
            ca_file=str(credentials.ca_file), auth_token=credentials.token, origin=origin
        )

    def new_process(self, argv: Sequence[str]) -> ServerProcess:
        """A server process of this bed, not started yet."""
        return ServerProcess(argv, startup_timeout=self.startup_timeout, env=self.env, cwd=self.cwd)


def _start_all(processes: list[ServerProcess]) -> list[HarnessError | None]:
    """Start the processes, several at once; one alone in this thread, since Linux's
    parent-death signal is only given from the main thread (wsharness.runtime.children)."""
    if len(processes) == 1:
        return [_try_start(processes[0])]
    with ThreadPoolExecutor(max_workers=len(processes)) as pool:
        return list(pool.map(_try_start, processes))


def _try_start(process: ServerProcess) -> HarnessError | None:
    try:
        process.start()
    except HarnessError as exc:
        return exc
    return None


@dataclass
class Credentials:
    """Throwaway credentials for a secured server, in one folder: a CA (``ca.pem``), a
    certificate it signed for 127.0.0.1 (``server.pem``, ``server.key``), a token file."""

    ca: Any
    """The trustme CA."""
    certfile: Path
    keyfile: Path
    ca_file: Path
    token_file: Path
    token: str

    @classmethod
    def create(cls, directory: Path, *, token: str | None = None) -> Credentials:
        """Make them, with ``token`` (a random one by default); RuntimeError without trustme."""
        try:
            import trustme
        except ImportError:
            raise RuntimeError(f"trustme is not installed: {INSTALL_TRUSTME}") from None
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        certfile, keyfile = directory / "server.pem", directory / "server.key"
        cert.cert_chain_pems[0].write_to_path(str(certfile))
        for pem in cert.cert_chain_pems[1:]:
            pem.write_to_path(str(certfile), append=True)
        cert.private_key_pem.write_to_path(str(keyfile))
        ca_file = directory / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        token = token or secrets.token_urlsafe(16)
        token_file = directory / "tokens"
        token_file.write_text(f"# who may chat\n{token}\n")
        return cls(ca, certfile, keyfile, ca_file, token_file, token)

    def tls_options(self) -> list[str]:
        """The server's options that serve wss:// with this certificate."""
        return ["--certfile", str(self.certfile), "--keyfile", str(self.keyfile)]

    def server_options(self) -> list[str]:
        """The server's options that serve wss:// and require this token."""
        return ["--auth-token-file", str(self.token_file), *self.tls_options()]

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only this CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))


class RedisServer:
    """A ``redis-server`` child process on 127.0.0.1 with nothing saved to disk."""

    def __init__(self, port: int = 0, *, command_prefix: Sequence[str] = ()) -> None:
        self.port = port
        """The port; 0 until :meth:`start` picks a free one."""
        self.command_prefix = tuple(command_prefix)
        """Runs Redis through another command, such as ``taskset -c 0``."""
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``, what ``python -m server --broker`` takes."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self) -> str:
        """Start Redis (on a free port unless one was given); its URL once it is ready."""
        executable = shutil.which(REDIS_SERVER)
        if executable is None:
            raise RedisUnavailable(f"{REDIS_SERVER} is not on PATH: {INSTALL_REDIS}")
        pick_port = self.port == 0
        for _ in range(5 if pick_port else 1):
            if pick_port:
                self.port = free_port()
            problem = self._start_once(executable)
            if problem is None:
                return self.url
            if not (pick_port and _PORT_TAKEN in problem):
                break
        raise RedisUnavailable(f"{REDIS_SERVER} did not start on port {self.port}: {problem}")

    def stop(self, timeout: float = 5.0, *, signum: int = signal.SIGTERM) -> int | None:
        """Send ``signum``, wait up to ``timeout`` seconds, then SIGKILL; the exit code."""
        process = self._process
        if process is None:
            return None
        code = stop_child(process, timeout, signum)
        if self._reader is not None:  # it reaches the end of the output of a process gone
            self._reader.join(timeout=1)
        if process.stdout is not None:
            process.stdout.close()
        return code

    def kill(self) -> None:
        """SIGKILL: Redis vanishes without a word, as on a crash."""
        self.stop(signum=signal.SIGKILL)

    def restart(self) -> str:
        """Stop Redis and start an empty one on the same port; return its URL."""
        self.stop()
        return self.start()

    def _start_once(self, executable: str) -> str | None:
        """Start and wait until ready; None, or why it did not start."""
        argv = [*self.command_prefix, executable, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no"]
        try:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                cwd=os.path.abspath(os.sep),  # nothing is saved, but never in the checkout
                # Its own session, so a terminal's Ctrl-C reaches the test run and not
                # Redis; and on Linux, SIGTERM when the process that started it ends.
                start_new_session=True,
                preexec_fn=parent_death_signal(),
            )
        except OSError as exc:
            return f"cannot run {executable}: {exc.strerror}"
        assert process.stdout is not None
        ready: queue.Queue[str | None] = queue.Queue()
        self._process = process
        self._reader = threading.Thread(
            target=self._read, args=(process.stdout, ready), daemon=True
        )
        self._reader.start()
        try:
            problem = ready.get(timeout=STARTUP_TIMEOUT)
        except queue.Empty:
            problem = f"not ready within {STARTUP_TIMEOUT:g} s"
        if problem is not None:
            self.kill()
        return problem

    def _read(self, stream: IO[str], ready: queue.Queue[str | None]) -> None:
        said: list[str] = []
        waiting = True
        for raw in stream:
            line = raw.rstrip("\n")
            if waiting and _READY in line:
                ready.put(None)
                waiting = False
            elif waiting:
                said.append(line.split(" # ", 1)[-1].split(" * ", 1)[-1].strip())
        if waiting:
            port_taken = [line for line in said if _PORT_TAKEN in line]
            ready.put((port_taken or said or ["it exited before it was ready"])[-1])


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
