"""Fixtures shared by the tests that run whole suites."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.report_helpers import PROJECT_ROOT
from wsharness import ServerProcess


@pytest.fixture
def deployed_server() -> Iterator[ServerProcess]:
    """The chat server started apart from the code under test, as a deployment would be."""
    with ServerProcess(
        [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", "0"],
        cwd=str(PROJECT_ROOT),
    ) as server:
        yield server
