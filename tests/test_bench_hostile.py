"""The hostile-client benchmark's load processes report typed results the driver reads back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.processes import run_on_load_core, server
from bench.results import (
    CompressionCost,
    Echoes,
    PingHoarder,
    SlowReader,
    read_result,
    result_line,
)
from wsharness import ServerProcess


@pytest.fixture
def chat_server() -> Iterator[ServerProcess]:
    with server("ours", "auto") as process:
        assert process.url is not None
        yield process


def test_the_slow_reader_run_reports_who_got_what(chat_server: ServerProcess) -> None:
    """A few small posts: the poster and both readers get all of them, and the idle
    member, once it reads again, gets them too (too few to be cut off)."""
    assert chat_server.url is not None
    result = run_on_load_core(
        SlowReader,
        "loadgen slow-reader",
        chat_server.url,
        server_pid=chat_server.pid,
        posts=300,
        size=100,
    )
    assert result.posts == 300
    assert (result.poster_missing, result.readers_missing) == (0, 0)
    assert result.others_got_everything
    assert not result.idle_cut_off
    assert result.idle_received == 300


def test_the_observer_stops_at_its_count(chat_server: ServerProcess) -> None:
    """The observer times exactly the echoes it was asked for when they come back in time."""
    assert chat_server.url is not None
    result = run_on_load_core(Echoes, "loadgen latency", chat_server.url, count=50)
    assert result.round_trips == 50
    assert 0 < result.p50_ms <= result.p99_ms


def test_a_slow_reader_short_of_posts_did_not_serve_everyone() -> None:
    """Posts a reader missed count against the server, and survive the trip between processes."""
    result = SlowReader(
        posts=10,
        posts_per_second=20.0,
        growth_mib=1.5,
        poster_missing=0,
        readers_missing=3,
        idle_cut_off=True,
        idle_received=2,
    )
    assert not result.others_got_everything
    assert read_result(SlowReader, result_line(result)) == result


def test_the_ping_hoarder_run_reports_the_drop() -> None:
    """Against a server with a 1 s keepalive, the hoarder is dropped within its window."""
    with server("ours", "auto", "--ping-interval", "1", "--ping-timeout", "1") as process:
        assert process.url is not None
        result = run_on_load_core(
            PingHoarder, "loadgen ping-hoarder", process.url, server_pid=process.pid, within=10
        )
    assert result.pings > 0
    assert result.dropped and result.dropped_after is not None and result.dropped_after < 10


@pytest.mark.parametrize("setting", ["off", "deflate"])
def test_the_compression_run_says_whether_the_server_agreed(setting: str) -> None:
    with server("ours", "auto", "--compression", setting) as process:
        assert process.url is not None
        result = run_on_load_core(
            CompressionCost,
            "loadgen compression",
            process.url,
            server_pid=process.pid,
            idle=20,
            count=500,
        )
    assert result.compressed is (setting == "deflate")
    assert result.idle_kib > 0 and result.cpu_us_per_echo > 0
