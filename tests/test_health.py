"""The library's health checks of every node, as the deployment steps use them: asked of
real servers, and judged with every unhealthy node named."""

from __future__ import annotations

import pytest

from acceptance import testbed
from wsharness.bdd.cast import Cast
from wsharness.bdd.health import (
    HealthAnswer,
    HttpHealthCheck,
    ask_every_node,
    assert_every_node_healthy,
)
from wsharness.bdd.options import ConnectionOptions
from wsharness.bdd.target import Target


def test_every_node_is_asked_and_named() -> None:
    """A cluster of two without its broker: each node is asked, by name, and says 503."""
    with testbed.start(nodes=2, node_timeout=1) as bed, testbed.start() as single:
        target = Target().started([*bed.urls, single.url])
        assert bed.redis is not None
        bed.redis.stop()
        answers = ask_every_node(target, HttpHealthCheck(), ConnectionOptions(), timeout=5)
    assert [name for name, _ in answers] == [target.node_name(i) for i in range(3)]
    assert [answer.status for _, answer in answers] == [503, 503, 200]


def test_without_a_health_check_there_is_nothing_to_ask() -> None:
    target = Target().started(["ws://127.0.0.1:9"])
    with pytest.raises(AssertionError, match="declares no health check"):
        ask_every_node(target, None, ConnectionOptions(), timeout=1)


def test_every_unhealthy_node_is_named_with_what_it_said() -> None:
    answers = [
        ("node 1", HealthAnswer(200, "OK")),
        ("node 2", HealthAnswer(503, "broker unavailable")),
        ("node 3", HealthAnswer(None, "")),
    ]
    with pytest.raises(AssertionError) as failure:
        assert_every_node_healthy(answers)
    assert str(failure.value) == (
        "not every server is healthy:\n  node 2 answered 503 (broker unavailable)\n"
        "  node 3 answered nothing"
    )
    assert_every_node_healthy(answers[:1])


def test_the_cast_keeps_the_answers_for_the_scenario() -> None:
    """The deployment steps ask through the cast, which holds the answers until they
    are judged: a healthy server passes, and judging before asking says so."""
    with testbed.start() as single:
        cast = Cast([single.url])
        with pytest.raises(AssertionError, match="nobody has asked the servers"):
            cast.assert_healthy()
        cast.ask_health(Target().started([single.url]), HttpHealthCheck())
        cast.assert_healthy()


def test_a_promise_broken_on_one_server_names_only_that_server() -> None:
    """Every server is judged: the secured one turns a tokenless person away as promised,
    the open one lets them in and is the only one named."""
    with testbed.start(secured=True) as secured, testbed.start() as open_server:
        urls = [secured.url, open_server.url]
        options = secured.connection_options().but(auth_token=None)
        cast = Cast(urls, options=options)
        cast.try_everywhere("Mallory")
        with pytest.raises(AssertionError) as failure:
            cast.assert_turned_away_everywhere("Mallory", 401, Target().started(urls))
        cast.close_all()
    lines = str(failure.value).splitlines()
    assert lines[0] == "not every server turned Mallory away with HTTP 401:"
    assert len(lines) == 2
    assert lines[1].startswith("  node 2 (")
