# mypy: disable-error-code="untyped-decorator"
# (behave's fixture decorator carries no types; the fixtures are typed.)
"""behave hooks for any WebSocket server: import them into ``environment.py``::

    from wsharness.bdd.environment import *  # noqa: F403

* before the run: check the settings (:mod:`wsharness.bdd.registry`) and the target
  (:mod:`wsharness.bdd.target`), get the servers from the fixture
  :func:`~wsharness.bdd.configure` was given, say and record what is under test, and
  check that every server is reachable and healthy, or stop the run in one line;
* during the run: a watch stops the run, after the step in progress, when a server stops
  answering (``@disruptive`` scenarios, which take servers down on purpose, pause it);
* before each feature: explain steps that match no definition; before each scenario:
  skip a ``@promise.*`` one whose promise the target does not declare, and give the
  others a fresh cast, closed afterwards;
* a failing step prints the conversation, every transcript and the servers' log lines;
  each scenario's conversation is drawn into the reports;
* Ctrl-C and SIGTERM stop the run at any moment, start-up included, even when the
  ``KeyboardInterrupt`` is swallowed on its way; what did not run is reported untested.

A project's own hook is decorated with :func:`hook` (so that Ctrl-C in it aborts the
run instead of failing a feature) and calls the library's.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, TypeVar

from behave.fixture import fixture, use_fixture
from behave.model import Feature, Scenario, ScenarioOutline, Step
from behave.model_core import Status
from behave.runner import Context

from wsharness import settings
from wsharness.bdd import contract, conversations, diagnostics, registry, reports
from wsharness.bdd.cast import Cast
from wsharness.bdd.health import (
    DeploymentBroke,
    DeploymentWatch,
    ServerUnavailable,
    check_target,
    health_check_for,
)
from wsharness.bdd.setup import current
from wsharness.bdd.step_types import explain_undefined
from wsharness.bdd.target import PROMISES, Target
from wsharness.runtime.signals import defer_interrupts, interrupt_on_signals, interrupted_by

__all__ = [
    "after_all",
    "after_scenario",
    "after_step",
    "before_all",
    "before_feature",
    "before_scenario",
    "before_step",
    "hook",
]

Hook = TypeVar("Hook", bound=Callable[..., None])
T = TypeVar("T")

DISRUPTIVE = "disruptive"
"""The tag of a scenario that takes servers down on purpose: the watch pauses for it."""


def hook(function: Hook) -> Hook:
    """A hook that Ctrl-C (or SIGTERM) aborts cleanly: behave would count a
    ``KeyboardInterrupt`` raised in a hook as a failed feature or run."""

    @functools.wraps(function)
    def run(context: Context, *args: Any) -> None:
        try:
            function(context, *args)
        except KeyboardInterrupt:
            _stop_run(context, "interrupted", f"interrupted by {interrupted_by() or 'SIGINT'}")

    return run  # type: ignore[return-value]


@dataclass
class RunState:
    """What the hooks know about the run as a whole."""

    record: str | None = None
    """Where to write the run record (``-D run_record``), if anywhere."""
    watch: DeploymentWatch | None = None
    stopped: dict[str, str] | None = None
    """Why the run stopped early, ``{"why": ..., "reason": ...}``; None while it goes on."""
    scenario: str | None = None
    """The scenario running, or the last one that ran."""
    in_step: bool = False
    """Whether a step is running, so that a broken deployment may end it at once."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Guards ``stopped``: the watch's thread may stop the run while the main thread does."""
    targets: reports.TargetRecord | None = None
    """The targets the reports record: the run's, and features' own."""
    feature_target: Target | None = None
    """The last target of a feature's own that was recorded."""


def _outline_status(outline: ScenarioOutline) -> Status:
    """behave 1.3.3 calls an outline "passed" when none of its examples ran, so a run
    stopped before a feature that starts with an outline counts that feature as
    failed ("some passed, now untested"). Untested is what it is."""
    scenarios = outline.scenarios
    if scenarios and all(scenario.status == Status.untested for scenario in scenarios):
        return Status.untested
    return _behaves_outline_status(outline)


_behaves_outline_status = ScenarioOutline.compute_status
ScenarioOutline.compute_status = _outline_status

# From the moment behave imports these hooks, Ctrl-C is remembered rather than raised
# wherever it lands (behave's own start-up has no hook to catch it in); before_all
# then stops the run if it came, and from there on it raises, to end a step.
defer_interrupts()


@hook
def before_all(context: Context) -> None:
    interrupt_on_signals()
    userdata = context.config.userdata
    # Mutable, and set here, in behave's root layer: what hooks change during a
    # feature or scenario outlives it.
    context.run_state = RunState(record=registry.value("run_record", userdata, os.environ))
    context.target = Target()
    if diagnostics.html_formatters(context):
        # Only with behave-html-pretty-formatter installed, which the library does not need.
        from wsharness.bdd import html_report

        html_report.adopt(context)
    if _run_stopping(context):
        return
    try:
        _read_settings(context, userdata)
        context.target = Target.from_settings(userdata)
        setup = current()
        # Checks every frame, the adapter's round trips apart.
        context.contract_run = contract.start(context, setup.contract, setup.adapter)
        context.server = use_fixture(setup.servers, context)
    except ValueError as exc:
        _stop_run(context, "setting", f"bad setting: {exc}")
        return
    except ServerUnavailable as exc:
        _stop_run(context, "unreachable", str(exc))
        return
    if not context.target.configured:
        context.target = context.target.started(context.server.urls)
    print(context.target.describe(), file=sys.__stderr__, flush=True)
    wait = settings.timing().wait
    health_check = health_check_for(context.target, setup.health_check)
    try:
        software = check_target(context.target, health_check, timeout=wait)
    except ServerUnavailable as exc:
        context.run_state.targets = reports.record_target(context, context.target)
        _stop_run(context, "unreachable", str(exc))
        return
    context.target = context.target.reported(software)
    context.run_state.targets = reports.record_target(context, context.target)
    context.run_state.watch = DeploymentWatch(
        context.target,
        health_check,
        timeout=wait,
        on_broken=functools.partial(_deployment_broke, context),
    )
    _break_steps_on(signal.SIGUSR1, context.run_state)
    context.run_state.watch.start()


def _record_feature_target(context: Context, feature: Feature) -> None:
    """Record a feature whose fixture gave it a server of its own (``context.target``
    replaced in ``before_feature``) with that server, once, at its first scenario."""
    state = context.run_state
    target = context.target
    if state.targets is None or target in (state.targets.target, state.feature_target):
        return
    state.feature_target = target
    try:
        software = check_target(target, None, timeout=settings.timing().wait)
    except ServerUnavailable:
        software = ()  # the feature's scenarios will say so
    state.targets.for_feature(feature, target.reported(software))


def _read_settings(context: Context, userdata: dict[str, str]) -> None:
    """Check the run's settings and apply the harness's; a bad one raises ValueError."""
    registry.check_userdata(userdata)
    registry.check_environment(os.environ)
    settings.configure(
        timeout=_seconds(userdata, "timeout"),
        scale=_seconds(userdata, "timeout_scale"),
        quiet_window=_seconds(userdata, "quiet_window"),
        late_window=_seconds(userdata, "late_window"),
        max_message_size=_given(userdata, "max_message_size", settings.parse_size),
    )
    conversations.drawing(context)


@hook
def before_feature(context: Context, feature: Feature) -> None:
    steps = [step for scenario in feature.walk_scenarios() for step in scenario.all_steps]
    for line in explain_undefined(context._runner.step_registry, steps):
        print(line, file=sys.__stderr__)


@fixture
def cast_for_the_scenario(context: Context) -> Iterator[Cast]:
    """The scenario's people, every connection closed when the scenario ends."""
    setup = current()
    context.cast = setup.cast(
        context.server.urls, adapter=setup.adapter, options=context.target.options
    )
    # behave runs the code after ``yield`` at the end, failed or not. No ``finally``:
    # a run that dies without its clean-up must not wait on its dying event loop.
    contract.watch(context, getattr(context, "contract_run", None))
    yield context.cast
    context.cast.close_all()


@hook
def before_scenario(context: Context, scenario: Scenario) -> None:
    if _run_stopping(context):
        return  # behave reports the scenario untested
    _record_feature_target(context, scenario.feature)
    tags = set(scenario.effective_tags)
    unchecked = _promise_not_declared(context.target, tags)
    if unchecked is not None:
        skip(scenario, unchecked)
        return
    context.run_state.scenario = scenario.name
    if context.run_state.watch is not None:
        if DISRUPTIVE in tags:
            context.run_state.watch.pause()
        else:
            context.run_state.watch.resume()
    use_fixture(cast_for_the_scenario, context)
    context.log_marks = context.server.log_marks()


def before_step(context: Context, step: Step) -> None:
    context.run_state.in_step = True
    conversations.step_started(context, step)


def after_step(context: Context, step: Step) -> None:
    context.run_state.in_step = False
    conversations.step_ended(context, step)
    if step.status.has_failed():
        conversations.publish(context, context.scenario)
        diagnostics.publish(context, _diagnostics(context))
        if context.run_state.watch is not None:
            # Someone could not connect, or lost a connection: if a server refuses,
            # that is the deployment breaking, said once now, not in every scenario.
            context.run_state.watch.check_now()
    if _run_stopping(context) and not step.status.has_failed():
        # The step passed, its interrupt swallowed (or the deployment broke under
        # it): raised here, it ends the scenario as a Ctrl-C in a step does.
        raise KeyboardInterrupt


@hook
def after_scenario(context: Context, scenario: Scenario) -> None:
    """Draw the scenario's conversation into the reports, between the checks of the frames
    after its last step (those here, so their marks are drawn; then, once every connection
    is closed, the rest): one outside the contract fails a scenario that had passed."""
    early = contract.scenario_ended(context)
    conversations.publish(context, scenario)
    late = contract.scenario_ended(context, close=True)
    problems = [problem for problem in (early, late) if problem is not None]
    if problems and not any(step.status.has_failed() for step in scenario.all_steps):
        raise AssertionError("\n".join(problems))


def after_all(context: Context) -> None:
    # Every scenario has run or been reported untested; what is left is stopping the
    # servers, which Ctrl-C must not cut short.
    defer_interrupts()
    if context.run_state.watch is not None:
        context.run_state.watch.stop()  # joined: it can stop the run no more
    _run_stopping(context)
    contract.finish(context)
    reports.write_run_record(
        context.run_state.record,
        context.target.facts(),
        context.run_state.stopped,
        reports.scenario_counts(context._runner.features),
    )
    if diagnostics.html_formatters(context):
        from wsharness.bdd import html_report

        html_report.account_for(context, context._runner.features)


def skip(model: Feature | Scenario, reason: str) -> None:
    """Skip a feature or scenario with a reason, said once per run in one line on the
    console (behave's formatters do not show it) and kept in the reports."""
    model.skip(reason)
    if reason not in _skips_said:
        _skips_said.add(reason)
        # On a line of its own: the formatter may be mid-line on stdout (a feature's
        # description, a row of progress dots) when the reason reaches stderr.
        print(f"\nskipped: {model.location.filename}: {reason}", file=sys.__stderr__)


_skips_said: set[str] = set()


def _promise_not_declared(target: Target, tags: set[str]) -> str | None:
    """Why a ``@promise.NAME`` scenario cannot check its promise against ``target``."""
    for promise in PROMISES:
        if f"promise.{promise}" not in tags:
            continue
        reason = target.declares(promise)
        if reason is None and promise == "health" and current().health_check is None:
            reason = "the project declares no health check"
        if reason is not None:
            return reason
    return None


def _run_stopping(context: Context) -> bool:
    """Abort the run, the rest reported untested, if Ctrl-C or SIGTERM came (even if its
    ``KeyboardInterrupt`` was swallowed on its way, by logging's clean-up or a library's
    broad ``except``) or the watch saw a server stop answering."""
    if context.run_state.stopped is not None:
        return True
    signal_name = interrupted_by()
    if signal_name is not None:
        _stop_run(context, "interrupted", f"interrupted by {signal_name}")
        return True
    watch = context.run_state.watch
    if watch is not None and watch.broken is not None:
        _deployment_broke(context, watch.broken)
        return True
    return False


def _deployment_broke(context: Context, problem: str) -> None:
    """Stop the run, saying which server broke during which scenario; on the watch's
    thread, also end the step in progress rather than let it wait out its timeout."""
    scenario = context.run_state.scenario
    where = f" while {scenario!r} was running" if scenario else ""
    _stop_run(context, "deployment", f"the deployment broke{where}: {problem}")
    if context.run_state.in_step and threading.current_thread() is not threading.main_thread():
        main = threading.main_thread().ident
        if main is not None:
            signal.pthread_kill(main, signal.SIGUSR1)


def _break_steps_on(signum: int, run_state: RunState) -> None:
    """Make ``signum`` raise :class:`DeploymentBroke` in the step that is running (and
    nowhere else): a step waiting for a message from a server that has gone ends at
    once, failed with the reason, and behave reports the rest untested."""

    def break_the_step(_signum: int, _frame: FrameType | None) -> None:
        if run_state.in_step and run_state.stopped is not None:
            raise DeploymentBroke(run_state.stopped["reason"])

    signal.signal(signum, break_the_step)


def _diagnostics(context: Context) -> str:
    parts = [conversations.as_text(context), ""]
    parts.append("What each person sent (→) and received (←), in ms since the scenario began:")
    parts.append(context.cast.transcripts() or "  (nobody was connected)")
    logs = context.server.log_lines(context.log_marks)
    if logs:
        parts.append("Server log during this scenario:")
        parts.extend(f"  {line}" for line in logs)
    return "\n".join(parts)


def _given(userdata: dict[str, str], key: str, parse: Callable[[str], T]) -> T | None:
    """``-D key`` read by ``parse``; None when it is not given, or blank."""
    text = userdata.get(key)
    return None if text is None or not text.strip() else parse(text)


def _seconds(userdata: dict[str, str], key: str) -> float | None:
    try:
        return _given(userdata, key, float)
    except ValueError:
        raise ValueError(f"{key} must be a number of seconds, not {userdata[key]!r}") from None


def _stop_run(context: Context, why: str, reason: str) -> None:
    """Stop the run, every scenario not yet run reported untested, saying why in the run
    record and in one line on the real stderr (behave's ``context.abort`` would print
    into the capture of the step in progress when the watch's thread calls it)."""
    with context.run_state.lock:
        if context.run_state.stopped is not None:
            return
        context.run_state.stopped = {"why": why, "reason": reason}
    if why in ("setting", "unreachable"):
        reason = f"cannot run the acceptance suite: {reason}"
    # During a scenario a formatter may be mid-line on stdout: the line starts afresh.
    fresh = "\n" if context.run_state.scenario is not None else ""
    print(f"{fresh}ABORTED: {reason}", file=sys.__stderr__, flush=True)
    context._runner.aborted = True  # what context.abort() does, without its print
    reports.write_run_record(
        context.run_state.record, context.target.facts(), context.run_state.stopped
    )
