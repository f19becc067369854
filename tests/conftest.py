"""Fixtures shared by the tests that run whole suites, and each test's time limit."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from acceptance import testbed
from tests.support import TIMEOUT_SCALE
from wsharness import ServerProcess


@pytest.fixture
def deployed_server() -> Iterator[ServerProcess]:
    """The chat server started apart from the code under test, as a deployment would be."""
    with testbed.start().process as server:
        yield server


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Scale pyproject's per-test ``timeout`` by ``WS_TIMEOUT_SCALE``, like every duration
    the tests state, unless ``--timeout`` or ``PYTEST_TIMEOUT`` sets the limit outright."""
    seconds = config.getini("timeout")
    if not seconds or config.getoption("timeout") is not None or "PYTEST_TIMEOUT" in os.environ:
        return
    limit = pytest.mark.timeout(float(seconds) * TIMEOUT_SCALE)
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(limit)
