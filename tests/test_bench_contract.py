"""The contract's cost, measured as bench measures it: per frame beside its baseline and
target, and the default suite with the contract on ÷ off beside the 1.1x target."""

from __future__ import annotations

import re

from bench.measure_contract import OFF, ON, measure_contract_suite
from bench.plan import Plan
from bench.report import contract_lines
from tests.support import run_python


def test_quick_prints_the_cost_per_frame_and_skips_the_suite_ratio() -> None:
    """``python -m bench --only contract --quick``: a row per frame of the chat and way it
    was seen, its baseline and target, and the suite ratio left to the full run."""
    result = run_python("-m", "bench", "--only", "contract", "--quick")
    assert result.returncode == 0, result.stderr
    for frame in ("a MESSAGE_GROUP request", "GROUP_CREATED: <name>", "a post (any text)"):
        for seen, baseline, target in (("first sight", r"\d+", "50"), ("repeat", r"0\.1", "1")):
            figures = rf"\| [\d.]+ +\| [\d.]+ +\| {baseline} +\| ≤ {target} µs [✔✘] +\|"
            row = rf"\| {re.escape(frame)} +\| {seen} +{figures}"
            assert re.search(row, result.stdout), result.stdout
    assert "Suite with the contract on ÷ off: not measured with --quick (target ≤ 1.1×)" in (
        result.stdout
    ), result.stdout


def test_the_suite_ratio_runs_the_default_suite_with_the_contract_on_and_off() -> None:
    """One run each way, and the ratio of their wall times printed beside its target."""
    plan = Plan(contract_suite_runs=1)
    suite = measure_contract_suite(plan, lambda line: None)
    assert len(suite.rounds[ON]) == len(suite.rounds[OFF]) == 1
    line = contract_lines(plan, [], suite)[-2]
    assert re.fullmatch(
        r"Suite with the contract on ÷ off \(default behave features/, median of 1 run\(s\) "
        r"each, alternated\): [\d.]+ s ÷ [\d.]+ s = \d\.\d\d× \(≤ 1\.1× [✔✘]; baseline 1\.00×, "
        r"by hand\)",
        line,
    ), line
