"""A figure's medians, ratios and worst rounds are what the tables say they are."""

from __future__ import annotations

from bench.figure import Figure
from bench.report import verdict


def test_the_worst_round_is_the_lowest_rate_and_the_highest_cost() -> None:
    """A target must hold in every round, so the table shows the round furthest from it."""
    rate = Figure("fan-out deliveries", "msg/s", higher_is_better=True)
    cost = Figure("memory", "MiB")
    for value in (3.0, 1.0, 2.0):
        rate.add("ours", value)
        cost.add("ours", value)
    assert (rate.worst("ours"), cost.worst("ours")) == (1.0, 3.0)


def test_a_ratio_is_the_median_of_the_rounds_ratios() -> None:
    """Each round is measured back to back, so the ratio within a round drifts least: the
    ratios 1, 0.5 and 3 give 1, where the ratio of the medians (2 ÷ 3) would not."""
    figure = Figure("echo throughput", "msg/s", higher_is_better=True)
    for ours, ceiling in ((1, 1), (2, 4), (9, 3)):
        figure.add("ours", ours)
        figure.add("ceiling", ceiling)
    assert figure.ratio("ours", "ceiling") == 1.0
    assert figure.median("ours") == 2.0


def test_a_rate_must_reach_its_target_and_a_cost_stay_under_it() -> None:
    rate = Figure("fan-out deliveries", "msg/s", higher_is_better=True)
    cost = Figure("fan-out server CPU per delivery", "µs")
    assert (verdict(rate, 0.95), verdict(rate, 0.85)) == ("≥ 0.9× ✔", "≥ 0.9× ✘")
    assert (verdict(cost, 1.05), verdict(cost, 1.2)) == ("≤ 1.11× ✔", "≤ 1.11× ✘")
    assert verdict(Figure("echo latency p50", "µs"), 5.0) == ""
