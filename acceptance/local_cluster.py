"""A cluster on this machine for tests: one ``redis-server`` and N chat-server nodes.

Everything listens on 127.0.0.1 on free ports, runs as a child process of the
caller, and is stopped by :meth:`LocalCluster.stop` (or leaving its ``with``
block) however the test ends::

    with LocalCluster(nodes=3, node_timeout=1) as cluster:
        alice = TestWebSocket(cluster.urls[0], name="Alice")
        bob = TestWebSocket(cluster.urls[1], name="Bob")
        ...
        cluster.kill_node(1)      # SIGKILL, as if the machine were gone
        cluster.redis.restart()   # an empty Redis on the same port

The pieces work alone too: :func:`start_redis` and :func:`start_nodes`.
``redis-server`` must be on PATH (Debian's ``redis-server`` package); if it is
not, :class:`RedisUnavailable` says so in one line. Every failure to start is a
:class:`ClusterStartFailed` (a :class:`~wsharness.HarnessError`) with a one-line
message.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import IO

from acceptance.chat_command import PROJECT_ROOT, chat_server_command
from wsharness import HarnessError, ServerProcess
from wsharness.runtime.children import parent_death_signal, stop_child

REDIS_SERVER = "redis-server"
INSTALL_REDIS = "install Debian's redis-server package (apt-get install redis-server)"
_READY = "Ready to accept connections"
_PORT_TAKEN = "Address already in use"


class ClusterStartFailed(HarnessError):
    """Redis or a node did not start; the message is one line."""


class RedisUnavailable(ClusterStartFailed):
    """redis-server is missing or did not start; the message is one line."""


class RedisServer:
    """A ``redis-server`` child process on 127.0.0.1 with nothing saved to disk."""

    def __init__(
        self, port: int = 0, *, startup_timeout: float = 10.0, command_prefix: Sequence[str] = ()
    ) -> None:
        self.port = port
        """The port; 0 until :meth:`start` picks a free one."""
        self.startup_timeout = startup_timeout
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
        """Start Redis (on a free port unless one was given) and return its URL
        once it accepts connections; raise :class:`RedisUnavailable`."""
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
        """Send ``signum`` (SIGTERM unless told otherwise), wait up to ``timeout``
        seconds, then SIGKILL; return the exit code."""
        process = self._process
        if process is None:
            return None
        code = stop_child(process, timeout, signum)
        self._let_go(process)
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
            problem = ready.get(timeout=self.startup_timeout)
        except queue.Empty:
            problem = f"not ready within {self.startup_timeout:g} s"
        if problem is not None:
            self.kill()
        return problem

    def _let_go(self, process: subprocess.Popen[str]) -> None:
        """After it exited: let the reader reach the end of its output, and close the pipe."""
        if self._reader is not None:
            self._reader.join(timeout=1)
        if process.stdout is not None:
            process.stdout.close()

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


def start_redis(port: int = 0) -> RedisServer:
    """A running :class:`RedisServer`; stop it with :meth:`RedisServer.stop`."""
    redis = RedisServer(port)
    redis.start()
    return redis


def node_command(
    broker_url: str,
    *,
    node_timeout: float | None = None,
    module: str = "server",
    options: Sequence[str] = (),
    command_prefix: Sequence[str] = (),
) -> list[str]:
    """The command that runs one node on a free port: ``python -m server --broker URL``.

    ``module`` runs another server with the same options instead, such as a
    deliberately broken node (``tests.servers.broken_cluster``);
    ``command_prefix`` runs it through another command, such as ``taskset -c 0``.
    """
    argv = ["--broker", broker_url]
    if node_timeout is not None:
        argv += ["--node-timeout", f"{node_timeout:g}"]
    return chat_server_command(*argv, *options, module=module, command_prefix=command_prefix)


def start_nodes(
    count: int,
    broker_url: str,
    *,
    node_timeout: float | None = None,
    module: str = "server",
    options: Sequence[str] = (),
    command_prefix: Sequence[str] = (),
) -> list[ServerProcess]:
    """Start ``count`` nodes at once; return them once each has printed its URL.

    If any fails to start, the others are stopped and :class:`ClusterStartFailed`
    says why in one line.
    """
    if count < 1:
        raise ValueError(f"a cluster needs at least one node, not {count}")
    command = node_command(
        broker_url,
        node_timeout=node_timeout,
        module=module,
        options=options,
        command_prefix=command_prefix,
    )
    nodes = [ServerProcess(command, cwd=str(PROJECT_ROOT)) for _ in range(count)]
    with ThreadPoolExecutor(max_workers=count) as pool:
        outcomes = list(pool.map(_try_start, nodes))
    problems = [problem for problem in outcomes if problem is not None]
    if problems:
        for node in nodes:
            node.stop()
        raise ClusterStartFailed(f"a cluster node did not start: {problems[0]}")
    return nodes


def _try_start(node: ServerProcess) -> str | None:
    try:
        node.start()
    except HarnessError as exc:
        return str(exc)
    return None


class LocalCluster:
    """A ``redis-server`` and ``nodes`` chat-server nodes sharing it.

    ``command_prefix`` runs Redis and every node through another command, such
    as ``taskset -c 0`` (the benchmark pins them all to one core).
    """

    def __init__(
        self,
        nodes: int = 3,
        *,
        node_timeout: float | None = None,
        module: str = "server",
        options: Sequence[str] = (),
        command_prefix: Sequence[str] = (),
    ) -> None:
        self.size = nodes
        self.node_timeout = node_timeout
        self.module = module
        self.options = tuple(options)
        self.command_prefix = tuple(command_prefix)
        self.redis = RedisServer(command_prefix=command_prefix)
        self.nodes: list[ServerProcess] = []

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def urls(self) -> list[str]:
        """Each node's ``ws://`` URL, in start order."""
        return [node.url or "" for node in self.nodes]

    def start(self) -> list[str]:
        """Start Redis, then the nodes; return the nodes' URLs."""
        self.redis.start()
        try:
            self.nodes = start_nodes(
                self.size,
                self.redis.url,
                node_timeout=self.node_timeout,
                module=self.module,
                options=self.options,
                command_prefix=self.command_prefix,
            )
        except BaseException:
            self.redis.stop()
            raise
        return self.urls

    def stop(self) -> list[int | None]:
        """Stop every node (SIGTERM), then Redis; return the nodes' exit codes."""
        codes = [node.stop() for node in self.nodes]
        self.redis.stop()
        return codes

    def kill_node(self, index: int) -> int | None:
        """SIGKILL node ``index``: it dies without a word, as if its machine were gone.
        Returns its exit code (-9, or what it exited with before)."""
        return self.nodes[index].stop(signum=signal.SIGKILL)

    def restart_node(self, index: int) -> str:
        """Start node ``index`` again on the port it had (stopping it first if it still
        runs), so its URL stays valid; return the URL."""
        old = self.nodes[index]
        old.stop()
        assert old.url is not None
        port = old.url.rsplit(":", 1)[1]
        argv = node_command(
            self.redis.url,
            node_timeout=self.node_timeout,
            module=self.module,
            options=[*self.options, "--port", port],
            command_prefix=self.command_prefix,
        )
        node = ServerProcess(argv, cwd=str(PROJECT_ROOT))
        problem = _try_start(node)
        if problem is not None:
            raise ClusterStartFailed(f"node {index + 1} did not start again: {problem}")
        self.nodes[index] = node
        return self.urls[index]

    def log_lines(self, index: int, since: int = 0) -> list[str]:
        """Node ``index``'s log lines (each names the node)."""
        return self.nodes[index].log_lines(since)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
