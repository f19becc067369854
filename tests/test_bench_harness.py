"""The harness benchmark measures what it says, against the real chat server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.harness import held_waits
from bench.processes import server
from bench.results import RoundTrips, read_result, result_line


@pytest.fixture
def chat_url() -> Iterator[str]:
    with server("ours", "auto") as process:
        assert process.url is not None
        yield process.url


def test_held_waits_time_round_trips_after_exactly_that_many_messages(chat_url: str) -> None:
    """The client holds exactly ``held`` messages before the timed round trips
    (ECHO_TIMES_3 fills three at a time, ECHO the rest), and every round trip is
    one more message: the run checks both and fails otherwise."""
    result = held_waits(chat_url, held=101, count=20)
    assert result.held == 101
    assert result.round_trips == 20
    assert result.per_second > 0


def test_results_cross_the_process_boundary_typed() -> None:
    """A result printed by one process is read back as the same type by the driver."""
    result = RoundTrips(held=1000, round_trips=300, per_second=4597.5)
    assert read_result(RoundTrips, result_line(result)) == result


def test_a_result_with_missing_fields_is_refused_in_one_line() -> None:
    """A process that printed something else is a bug in the benchmark, not a zero."""
    with pytest.raises(ValueError, match=r"RoundTrips needs the fields .* got \['held'\]"):
        read_result(RoundTrips, '{"held": 1000}')
