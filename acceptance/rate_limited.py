# mypy: disable-error-code="untyped-decorator"
# (behave's fixture decorator carries no types; the fixture is typed.)
"""A chat server of its own for ``@rate-limited`` features: one started with ``--max-rate``,
so that the refusal of requests over the rate (``ERROR: too many requests: ...``), which a
deployment's own limit would make a matter of luck, is specified by a scenario."""

from __future__ import annotations

from collections.abc import Iterator

from behave.fixture import fixture
from behave.runner import Context

from acceptance.servers import start_chat_server
from wsharness.bdd.setup import SuiteServer
from wsharness.bdd.target import Target

MAX_RATE = 20
"""Requests a second the feature's server answers from one connection."""


@fixture
def rate_limited_chat_server(context: Context) -> Iterator[SuiteServer]:
    """``python -m server --max-rate 20`` for the feature; sets ``context.server`` and
    ``context.target`` for it, and stops the server after it."""
    process = start_chat_server("--max-rate", str(MAX_RATE))
    assert process.url is not None
    server = SuiteServer([process.url], [process])
    context.server = server
    context.target = Target().started([process.url])
    yield server
    server.stop()
