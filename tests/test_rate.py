"""The per-connection request rate limit, on a clock the test moves by hand."""

from __future__ import annotations

import pytest

from server.rate import RequestRate


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_the_rate_passes_then_requests_are_refused() -> None:
    clock = Clock()
    rate = RequestRate(5, clock)
    assert [rate.allow() for _ in range(7)] == [True] * 5 + [False] * 2


def test_the_allowance_comes_back_at_the_rate() -> None:
    """Refused requests take nothing; a fifth of a second later one more may pass."""
    clock = Clock()
    rate = RequestRate(5, clock)
    for _ in range(5):
        rate.allow()
    assert not rate.allow()
    clock.now += 0.19
    assert not rate.allow()
    clock.now += 0.02
    assert rate.allow()
    assert not rate.allow()


def test_a_quiet_spell_does_not_save_up_more_than_one_burst() -> None:
    clock = Clock()
    rate = RequestRate(3, clock)
    clock.now += 3600
    assert [rate.allow() for _ in range(4)] == [True, True, True, False]


def test_a_rate_below_one_still_allows_one_request_at_a_time() -> None:
    clock = Clock()
    rate = RequestRate(0.5, clock)
    assert rate.allow()
    assert not rate.allow()
    clock.now += 2
    assert rate.allow()


def test_the_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rate must be positive, not 0"):
        RequestRate(0)
