"""The testbed: a server, a cluster (redis-server and nodes) or a secured server starts,
fails in one line, and stops."""

from __future__ import annotations

import ast
import signal
import socket
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from acceptance import testbed
from acceptance.testbed import ClusterStartFailed, RedisServer, RedisUnavailable
from tests import cluster_checks as checks
from tests.support import PROJECT_ROOT
from wsharness import HarnessError, ServerStartFailed, TestWebSocket


def test_a_missing_redis_server_is_one_line_saying_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RedisUnavailable) as failure:
        RedisServer().start()
    message = str(failure.value)
    assert message == (
        "redis-server is not on PATH: install Debian's redis-server package "
        "(apt-get install redis-server)"
    )


def test_a_taken_port_is_named_in_one_line() -> None:
    checks.need_redis_server()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(RedisUnavailable, match=f"did not start on port {port}: .*in use"):
            RedisServer(port).start()


def test_redis_starts_on_a_free_port_and_restarts_empty_on_the_same_one() -> None:
    checks.need_redis_server()
    redis = RedisServer()
    redis.start()
    try:
        port = redis.port
        assert redis.url == f"redis://127.0.0.1:{port}/0"
        first = redis.pid
        redis.restart()
        assert redis.port == port and redis.pid != first
    finally:
        assert redis.stop() == 0


def test_a_node_that_does_not_start_stops_the_others_and_says_why() -> None:
    checks.need_redis_server()
    with pytest.raises(ClusterStartFailed) as failure:
        # broken_cluster without --fault exits at once with a usage error
        testbed.start(nodes=2, module="tests.servers.broken_cluster")
    assert "a cluster node did not start:" in str(failure.value)
    assert "\n" not in str(failure.value)


def test_a_cluster_stops_every_process_it_started() -> None:
    checks.need_redis_server()
    with testbed.start(nodes=2, node_timeout=1) as cluster:
        assert len(set(cluster.urls)) == 2 and all(u.startswith("ws://") for u in cluster.urls)
        assert cluster.take_node_down(0) == -signal.SIGKILL
        codes = cluster.stop()
    assert codes == [-signal.SIGKILL, 0]
    assert cluster.redis is not None and cluster.redis.stop() == 0


# ---------------------------------------------------------------------------
# Nothing else builds a chat server process: read the code with ast

BUILDS_SERVERS = ("acceptance/testbed.py", "tests/test_server_process.py")
"""The testbed, and the tests of the generic ServerProcess itself."""
STARTERS = {"ServerProcess", "LocalCluster"}


def server_builders(source: str) -> list[str]:
    """Where a module starts a server itself instead of through :func:`testbed.start`:
    each call of ``ServerProcess(...)`` (or the old ``LocalCluster(...)``), and each list
    or tuple that spells ``-m server``, by line. (``run_python("-m", "server", ...)``,
    which checks that the command line refuses bad options, starts nothing to test.)"""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            called = node.func
            name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
            if name in STARTERS:
                found.append(f"line {node.lineno}: {name}(...)")
        elif isinstance(node, ast.List | ast.Tuple):
            words = [e.value if isinstance(e, ast.Constant) else None for e in node.elts]
            if any(flag == "-m" and module == "server" for flag, module in pairwise(words)):
                found.append(f"line {node.lineno}: -m server")
    return found


def test_the_reading_finds_servers_built_by_hand() -> None:
    sample = (
        "import sys\nfrom wsharness import ServerProcess\n"
        "argv = [sys.executable, '-m', 'server', '--port', '0']\n"
        "process = ServerProcess(argv)\n"
        "run_python('-m', 'server', '--port', 'x')\n"
    )
    assert server_builders(sample) == ["line 3: -m server", "line 4: ServerProcess(...)"]


def test_nothing_but_the_testbed_builds_a_chat_server_process() -> None:
    """Behave's hooks, the acceptance stage, the tests and the benchmarks start every
    server through ``testbed.start``: one way, so a change to how servers start (a
    flag, a timeout, a way to stop) is made once."""
    files = [PROJECT_ROOT / "environment.py"]
    for folder in ("server", "wsharness", "acceptance", "steps", "bench", "tools", "tests"):
        files += sorted((PROJECT_ROOT / folder).glob("**/*.py"))
    found = {
        str(path.relative_to(PROJECT_ROOT)): builders
        for path in files
        if str(path.relative_to(PROJECT_ROOT)) not in BUILDS_SERVERS
        and (builders := server_builders(path.read_text(encoding="utf-8")))
    }
    assert not found, f"start these through acceptance.testbed.start: {found}"


def test_a_secured_bed_serves_wss_to_its_token_and_removes_its_files() -> None:
    """``secured=True``: wss:// with a throwaway CA, a token required, and nothing left
    on disk after it stops."""
    pytest.importorskip("trustme")
    with testbed.start(secured=True) as bed:
        assert bed.credentials is not None and bed.url.startswith("wss://")
        folder = bed.credentials.ca_file.parent
        options = bed.connection_options()
        with TestWebSocket(bed.url, name="Alice", **options.connect_arguments(bed.url)) as alice:
            alice.wait_until("open")
        without_token = options.but(auth_token=None).connect_arguments(bed.url)
        with pytest.raises(HarnessError, match="401"):
            TestWebSocket(bed.url, name="Mallory", **without_token).wait_until("open")
    assert not folder.exists()


def test_a_node_taken_down_comes_back_on_its_address() -> None:
    checks.need_redis_server()
    with testbed.start(nodes=2, node_timeout=1) as bed:
        url, killed = bed.urls[1], bed.processes[1]
        bed.take_node_down(1)
        bed.bring_nodes_back()
        assert bed.urls[1] == url and bed.processes[1] is not killed
        assert bed.processes[1].pid is not None and not bed.nodes_down


def test_a_server_that_does_not_start_says_why_in_one_line() -> None:
    with pytest.raises(ServerStartFailed) as failure:
        testbed.start(command=[sys.executable, "-c", "print('no URL here')"])
    assert "\n" not in str(failure.value)
