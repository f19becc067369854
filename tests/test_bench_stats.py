"""The benchmark's statistics: nearest-rank percentiles and medians."""

import pytest

from bench.stats import median, percentile


def test_percentile_is_a_value_that_happened() -> None:
    """Nearest rank picks a sample, never a value between two samples."""
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 0.5) == 50.0
    assert percentile(samples, 0.99) == 99.0
    assert percentile(samples, 1.0) == 100.0
    assert percentile([7.0], 0.99) == 7.0


def test_median_of_odd_and_even_counts() -> None:
    """The middle value, or the mean of the two middle values."""
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_no_values_is_an_error() -> None:
    """An empty run is a bug in the benchmark, not a zero."""
    with pytest.raises(ValueError, match="no values"):
        median([])
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)
