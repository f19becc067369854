"""What checking every frame against the contract (docs/asyncapi.yaml) costs: three of the
chat's frames, each checked ``contract_frames`` times in this process at first sight
(every frame different, as new requests are) and on repeat (as a post that reaches every
member is); and the default suite with the contract on and off (:mod:`bench.measure_suite`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from acceptance import chat
from bench.figure import Figure
from bench.measure_suite import each_way
from bench.plan import Log, Plan
from bench.processes import ROOT
from wsharness.contract.document import Contract, Direction, load
from wsharness.contract.frames import check

CONTRACT = ROOT / "docs" / "asyncapi.yaml"
FIRST, REPEAT = "first sight", "repeat"
ON, OFF = "contract on", "contract off"


FRAMES: dict[str, tuple[Direction, Callable[[int], str]]] = {
    "a MESSAGE_GROUP request": (
        "sent",
        lambda number: json.dumps(chat.message_group("book club", f"hello {number}")),
    ),
    "GROUP_CREATED: <name>": ("received", lambda number: chat.group_created(f"club {number}")),
    "a post (any text)": ("received", lambda number: f"ACME {number} at 191.20"),
}
"""The frames measured, by the name the table gives them: the way each travels, and the
frame numbered ``number`` (a different one for every number)."""


def _per_frame(contract: Contract, direction: Direction, frames: list[str]) -> float:
    """µs per frame to check ``frames`` in turn."""
    started = time.perf_counter()
    for frame in frames:
        check(contract, direction, frame, text=True)
    return (time.perf_counter() - started) / len(frames) * 1e6


def measure_frames(plan: Plan, log: Log) -> list[Figure]:
    """One figure per frame of :data:`FRAMES`, with the sides ``first sight`` and
    ``repeat`` in µs, ``plan.rounds`` rounds of ``plan.contract_frames`` checks each."""
    contract = load(CONTRACT)
    figures = [Figure(f"contract check of {name}", "µs") for name in FRAMES]
    count = plan.contract_frames
    for number in range(plan.rounds):
        log(f"contract check per frame, round {number + 1}/{plan.rounds}")
        for figure, (direction, frame) in zip(figures, FRAMES.values(), strict=True):
            first = [frame(number * count + index) for index in range(count)]
            figure.add(FIRST, _per_frame(contract, direction, first))
            again = first[-1]  # seen once, above: every check of it now is a repeat
            figure.add(REPEAT, _per_frame(contract, direction, [again] * count))
    return figures


def measure_contract_suite(plan: Plan, log: Log) -> Figure:
    """Wall time of the default ``behave features/`` with the contract on and off
    (sides ``contract on`` and ``contract off``), ``plan.contract_suite_runs`` times each."""
    ways = {ON: (), OFF: ("-D", "contract=off")}
    suite = Figure("default behave features/", "s")
    return each_way(suite, plan.contract_suite_runs, ways, log, reports=False)
