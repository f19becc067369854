"""``--broker`` and ``--node-timeout`` on the command line, and the server without them.

Nothing here needs redis-server: without ``--broker`` the server must not even
import the redis package.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from acceptance import testbed
from acceptance.chat import ChatCast
from acceptance.testbed import PROJECT_ROOT
from tests.cluster_checks import health
from tests.support import run_python


@pytest.fixture
def no_redis_package(tmp_path: Path) -> dict[str, str]:
    """An environment in which ``import redis`` fails, as where it is not installed."""
    fake = tmp_path / "redis"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError(\"No module named 'redis'\")\n")
    return {"PYTHONPATH": f"{tmp_path}{os.pathsep}{PROJECT_ROOT}"}


def test_without_broker_the_server_needs_no_redis(no_redis_package: dict[str, str]) -> None:
    """The default server never imports redis: it runs where redis is not installed,
    and its log lines name no node."""
    with testbed.start(env=no_redis_package).process as server:
        assert server.url is not None
        assert health(server.url) == (200, "OK\n")
        with ChatCast([server.url]) as cast:
            cast.connect(["Alice"])
            cast.has_created("Alice", "solo")
        assert not any(" node " in line for line in server.log_lines())


def test_the_fake_package_does_stop_an_import_of_redis(no_redis_package: dict[str, str]) -> None:
    """The control for the test above: with this environment, importing redis fails."""
    result = run_python("-c", "import redis", env=no_redis_package)
    assert result.returncode == 1
    assert "No module named 'redis'" in result.stderr


def test_broker_without_the_redis_package_stops_with_one_line(
    no_redis_package: dict[str, str],
) -> None:
    result = run_python("-m", "server", "--broker", "redis://127.0.0.1:9/0", env=no_redis_package)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "server: --broker needs the redis package" in result.stderr


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        (["--broker", "http://127.0.0.1:6379"], "must be a Redis URL like redis://"),
        (["--broker", "127.0.0.1:6379"], "must be a Redis URL like redis://"),
        (["--node-timeout", "0"], "must be a positive number of seconds, not 0"),
        (["--node-timeout", "soon"], "must be a positive number of seconds, not soon"),
    ],
)
def test_bad_cluster_options_are_refused_in_one_line(options: list[str], complaint: str) -> None:
    result = run_python("-m", "server", *options)
    assert result.returncode == 2
    assert complaint in result.stderr.splitlines()[-1]
