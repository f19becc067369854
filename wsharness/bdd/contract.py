"""Every frame of every scenario checked against the protocol's contract, and counted.

With a contract (``-D contract=FILE``, ``WS_CONTRACT``, or the project's default given to
:func:`wsharness.bdd.configure`; ``off`` for none), a frame a person sends or receives
that is none of the AsyncAPI 3 document's messages (:mod:`wsharness.contract`), or a reply
a correlation id ties to a request it does not answer, fails the step it came during (or
the scenario, after the last step) and is marked ``✗`` in the transcript, unless the
scenario is tagged ``@breaks-contract``. The adapter's round trips are not the scenario's,
and are neither checked nor counted. At the end the coverage is printed, and written as
JSON to ``-D contract_coverage=FILE``, one file per behavex worker (docs/contract.md).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from behave.runner import Context

from wsharness.bdd import registry
from wsharness.bdd.adapter import ProtocolAdapter
from wsharness.client import TestWebSocket, message_test
from wsharness.contract.correlation import Correlations
from wsharness.contract.coverage import Coverage, describe
from wsharness.contract.document import Contract, Direction, load
from wsharness.contract.frames import check
from wsharness.conversation.model import PROOF_SEARCH, PROOF_TOKEN
from wsharness.records import Event, Received, describe_data

BREAKS_CONTRACT = "breaks-contract"
"""The tag of a scenario that sends frames outside the contract on purpose."""

OFF = frozenset({"off", "none", "no"})
_SHOWN = 5
"""How many frames outside the contract a failed step names."""


@dataclass
class ContractRun:
    """The run's contract, its coverage, and the frames not yet checked."""

    contract: Contract
    coverage_path: Path | None
    adapter: ProtocolAdapter = field(default_factory=ProtocolAdapter)
    """Whose round trips prove silence: frames that are exactly one of them are not
    the scenario's."""
    coverage: Coverage = field(init=False)
    correlations: Correlations = field(init=False)
    pending: deque[tuple[str, Event | Received, bool]] = field(default_factory=deque)
    """Frames not checked yet: who, the transcript's record, whether a text frame."""
    notes: dict[tuple[str, float, int], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.coverage = Coverage(self.contract)
        self.correlations = Correlations(self.contract)

    def on_frame(self, client: TestWebSocket, event: Event | Received, text: bool) -> None:
        """Queue a frame (called on the sender's or the event loop's thread, with the
        client's lock held: the least work here, the rest in :meth:`settle`)."""
        self.pending.append((client.name, event, text))

    def settle(self, *, allowed: bool) -> str | None:
        """Check and count every frame queued; say what broke the contract, unless
        ``allowed``."""
        problems: list[str] = []
        while self.pending:
            person, event, text = self.pending.popleft()
            data = event.data
            if data is None:
                continue
            direction: Direction = "received" if event.kind == "received" else "sent"
            if self._is_proof(direction, data):
                continue
            verdict = check(self.contract, direction, data, text=text)
            self.coverage.count(direction, verdict)
            problem = verdict.problem or self.correlations.observe(person, direction, verdict, data)
            if problem is None:
                continue
            mark = "allowed: @breaks-contract" if allowed else "outside the contract"
            # keyed as the transcript reads it (Participant's transcript lines)
            self.notes[(event.kind, event.at, id(data))] = f"   ✗ {mark}: {problem}"
            problems.append(f"{person} {direction} {describe_data(data, 120)}: {problem}")
        if allowed or not problems:
            return None
        shown = problems[:_SHOWN]
        more = f"\n  (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
        return (
            f"a frame outside the contract {_relative(self.contract.path)} (a scenario that breaks "
            f"it on purpose is tagged @{BREAKS_CONTRACT}):\n  " + "\n  ".join(shown) + more
        )

    def _is_proof(self, direction: Direction, data: str | bytes) -> bool:
        """Whether the frame is exactly the request the adapter makes for the token near
        its start (:meth:`wsharness.bdd.cast.Participant.send_probe`), or exactly its
        reply; a frame that merely carries a token (echoed in something else) is not."""
        if not isinstance(data, str):
            return False
        token = PROOF_TOKEN.search(data, 0, PROOF_SEARCH)
        trip = None if token is None else self.adapter.round_trip(token.group())
        if trip is None:
            return False
        if direction == "sent":
            return type(data) is type(trip.request) and data == trip.request
        if isinstance(trip.reply, str | bytes):
            return type(data) is type(trip.reply) and data == trip.reply
        return message_test(trip.reply)[0](data)

    def finish(self) -> None:
        """Print the coverage, and write it where asked."""
        self.settle(allowed=True)
        report = self.coverage.to_json()
        print(f"\n{describe(report)}", file=sys.__stderr__, flush=True)
        if self.coverage_path is not None:
            self.coverage_path.parent.mkdir(parents=True, exist_ok=True)
            self.coverage_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def _relative(path: Path) -> str:
    """``path`` as the reader's shell would name it: relative to the folder of the run."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def start(context: Context, default: Path | None, adapter: ProtocolAdapter) -> ContractRun | None:
    """The run's contract (``-D contract``, else ``default``; none for ``off``), every
    step wrapped to end with the check of its frames; raises
    :class:`~wsharness.contract.document.ContractError` for a contract that cannot be used."""
    userdata = context.config.userdata
    text = registry.value("contract", userdata, os.environ)
    coverage = registry.value("contract_coverage", userdata, os.environ)
    path = default if text is None else None if text.lower() in OFF else Path(text)
    if path is None:
        return None
    coverage_path = None
    if coverage is not None:
        coverage_path = Path(coverage)
        worker = userdata.get("worker_id")
        if worker:
            coverage_path = coverage_path.with_name(
                f"{coverage_path.stem}.{worker}{coverage_path.suffix}"
            )
    run = ContractRun(load(path), coverage_path, adapter)
    _check_after_each_step(context, run)
    return run


def watch(context: Context, run: ContractRun | None) -> None:
    """Have the scenario's cast report its frames to ``run``."""
    if run is None:
        return
    run.settle(allowed=True)  # after the last scenario's connections closed: counted only
    run.correlations.forget()
    run.notes = context.cast.frame_notes
    context.cast.on_frame = run.on_frame


def scenario_ended(context: Context, *, close: bool = False) -> str | None:
    """What broke the contract after the scenario's last step, as a step would say it, or
    None; with ``close``, every connection is closed first, so that whatever a server
    sent before answering the close is checked too."""
    run: ContractRun | None = getattr(context, "contract_run", None)
    cast = getattr(context, "cast", None)
    if run is None or cast is None:
        return None
    if close:
        cast.close_all()
    problem = run.settle(allowed=_allowed(context))
    return None if problem is None else f"after the scenario's last step, {problem}"


def finish(context: Context) -> None:
    """At the end of the run: the coverage, unless the run stopped before it began
    (a bad setting, a server that cannot be reached), when it would say nothing."""
    run: ContractRun | None = getattr(context, "contract_run", None)
    stopped = context.run_state.stopped
    if run is not None and (stopped is None or stopped["why"] not in NOT_BEGUN):
        run.finish()


NOT_BEGUN = frozenset({"setting", "unreachable"})
"""How a run that stopped before its first scenario says why (wsharness.bdd.environment)."""


def _check_after_each_step(context: Context, run: ContractRun) -> None:
    """Wrap every step matched from now on: when it ends, its frames are checked."""
    step_registry = context._runner.step_registry
    find_match = step_registry.find_match

    def find_checked_match(step: Any) -> Any:
        match = find_match(step)
        if match is not None and callable(getattr(match, "func", None)):
            match.func = _checked(match.func, run)
        return match

    step_registry.find_match = find_checked_match


def _checked(function: Callable[..., None], run: ContractRun) -> Callable[..., None]:
    @functools.wraps(function)
    def step(context: Context, *args: Any, **kwargs: Any) -> None:
        try:
            function(context, *args, **kwargs)
        except AssertionError as failure:
            problem = run.settle(allowed=_allowed(context))
            if problem is None:
                raise
            raise AssertionError(f"{problem}\n\nThe step itself then failed: {failure}") from None
        except BaseException:
            run.settle(allowed=_allowed(context))  # marked and counted; the step fails anyway
            raise
        problem = run.settle(allowed=_allowed(context))
        if problem is not None:
            raise AssertionError(problem)

    return step


def _allowed(context: Context) -> bool:
    scenario = getattr(context, "scenario", None)
    tags: Mapping[str, Any] | list[str] = getattr(scenario, "effective_tags", []) or []
    return BREAKS_CONTRACT in tags
