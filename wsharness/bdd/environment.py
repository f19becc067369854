# mypy: disable-error-code="untyped-decorator"
# (behave's fixture decorator carries no types; the fixtures are typed.)
"""behave hooks for any WebSocket server: import them into ``environment.py``::

    from wsharness.bdd.environment import *  # noqa: F403

* before the run: read the timing and connection options from ``-D`` userdata
  or the environment (:mod:`wsharness.settings`, :mod:`wsharness.bdd.options`),
  get the server(s) under test from the fixture :func:`~wsharness.bdd.configure`
  was given (by default the URLs in ``-D server_url`` / ``-D server_urls``), and
  check that each accepts a connection with those options; otherwise stop the
  run with one line naming the cause;
* before each feature: say, in one line each, why a step matches no definition
  (a name not capitalised, a near miss in wording);
* each scenario gets a fresh cast, closed afterwards whether it passed or failed;
* a failing step prints every person's transcript and the servers' log lines
  from that scenario, which behave shows with the failure and every report keeps;
* Ctrl-C and SIGTERM stop the run, even when the ``KeyboardInterrupt`` they
  raise is swallowed on its way: the hooks check at every scenario and step, so
  the rest of the run is reported untested, never failed.

A project that needs a hook of its own defines it and calls the library's.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from behave.fixture import fixture, use_fixture
from behave.model import Feature, Scenario, Step
from behave.runner import Context

from wsharness import settings
from wsharness.bdd import diagnostics
from wsharness.bdd.cast import Cast
from wsharness.bdd.options import ConnectionOptions
from wsharness.bdd.setup import ServerUnavailable, check_reachable, current
from wsharness.bdd.step_types import explain_undefined
from wsharness.runtime.signals import interrupt_on_signals, interrupted_by

__all__ = ["after_all", "after_step", "before_all", "before_feature", "before_scenario"]


def before_all(context: Context) -> None:
    interrupt_on_signals()
    userdata = context.config.userdata
    try:
        settings.configure(
            timeout=_seconds(userdata, "timeout"),
            scale=_seconds(userdata, "timeout_scale"),
            quiet_window=_seconds(userdata, "quiet_window"),
            late_window=_seconds(userdata, "late_window"),
        )
        context.connection_options = ConnectionOptions.from_settings(userdata)
    except ValueError as exc:
        _stop_run(context, f"bad option: {exc}")
        return
    try:
        context.server = use_fixture(current().servers, context)
        for url in context.server.urls:
            check_reachable(url, context.connection_options)
    except ServerUnavailable as exc:
        _stop_run(context, str(exc))


def before_feature(context: Context, feature: Feature) -> None:
    registry = context._runner.step_registry
    steps = [step for scenario in feature.walk_scenarios() for step in scenario.all_steps]
    for line in explain_undefined(registry, steps):
        print(line, file=sys.__stderr__)


@fixture
def cast_for_the_scenario(context: Context) -> Iterator[Cast]:
    """The scenario's people, every connection closed when the scenario ends."""
    setup = current()
    context.cast = setup.cast(
        context.server.urls, adapter=setup.adapter, options=context.connection_options
    )
    # behave runs the code after ``yield`` at the end, failed or not. No ``finally``:
    # a run that dies without its clean-up must not wait on its dying event loop.
    yield context.cast
    context.cast.close_all()


def before_scenario(context: Context, scenario: Scenario) -> None:
    if _aborted_on_interrupt(context):
        return  # behave reports the scenario untested
    use_fixture(cast_for_the_scenario, context)
    context.log_marks = context.server.log_marks()


def after_step(context: Context, step: Step) -> None:
    if step.status.has_failed():
        diagnostics.publish(context, _diagnostics(context))
    elif _aborted_on_interrupt(context):
        # The step passed, its interrupt swallowed: raised again here, it ends the
        # scenario as a Ctrl-C in a step does.
        raise KeyboardInterrupt


def after_all(context: Context) -> None:
    _aborted_on_interrupt(context)


def _aborted_on_interrupt(context: Context) -> bool:
    """Abort the run if Ctrl-C or SIGTERM came, even if the ``KeyboardInterrupt`` was
    swallowed on its way (by a weakref callback such as logging's clean-up, or a
    library's broad ``except``), so the rest of the run is reported untested."""
    signal_name = interrupted_by()
    if signal_name is None:
        return False
    context.abort(reason=f"interrupted by {signal_name}")
    return True


def _diagnostics(context: Context) -> str:
    parts = ["What each person sent (→) and received (←), in ms since the scenario began:"]
    parts.append(context.cast.transcripts() or "  (nobody was connected)")
    logs = context.server.log_lines(context.log_marks)
    if logs:
        parts.append("Server log during this scenario:")
        parts.extend(f"  {line}" for line in logs)
    return "\n".join(parts)


def _seconds(userdata: dict[str, str], key: str) -> float | None:
    text = userdata.get(key)
    if text is None or not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{key} must be a number of seconds, not {text!r}") from None


def _stop_run(context: Context, reason: str) -> None:
    """Abort before any scenario runs; behave prints the reason as one line."""
    context.abort(reason=f"cannot run the acceptance suite: {reason}")
