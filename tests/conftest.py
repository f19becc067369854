"""Fixtures shared by the tests that run whole suites."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acceptance.servers import start_chat_server
from wsharness import ServerProcess


@pytest.fixture
def deployed_server() -> Iterator[ServerProcess]:
    """The chat server started apart from the code under test, as a deployment would be."""
    with start_chat_server() as server:
        yield server
