"""behave hooks: the server under test, the people of each scenario, diagnostics.

* before the run: the server under test, a behave fixture
  (:func:`server_for_the_run`): the project's server started on a free port, or
  the one given with ``-D server_url=ws://...`` (or ``WS_SERVER_URL``); either way
  checked to accept a connection, and the run stopped with one line if it does
  not. The fixture stops the server after the run, also after a failure or
  Ctrl-C; and if the run dies without clean-up (SIGKILL, a broken stdout pipe),
  the server goes with it (:mod:`wsharness.runtime.children`);
* each scenario gets a fresh :class:`acceptance.cast.Cast`, a fixture closed
  afterwards whether the scenario passed or failed;
* a failing step prints every person's transcript and the server's log lines
  from that scenario, which behave shows with the failure;
* Ctrl-C and SIGTERM stop the run, even when the ``KeyboardInterrupt`` they raise
  is swallowed somewhere (:mod:`wsharness.runtime.signals`): the hooks check at every step
  and scenario, so the rest of the run is reported untested, never failed.

Timing comes from ``-D timeout=``, ``-D timeout_scale=``, ``-D quiet_window=`` and
``-D late_window=``
(seconds), or the ``WS_TIMEOUT*`` environment variables (:mod:`wsharness.settings`).
"""

# mypy: disable-error-code="untyped-decorator"
# (behave's @fixture carries no types; the fixture functions are typed.)
from __future__ import annotations

from collections.abc import Iterator

from behave.fixture import fixture, use_fixture
from behave.model import Scenario, Step
from behave.runner import Context

from acceptance import diagnostics
from acceptance.cast import Cast
from acceptance.servers import ServerUnavailable, SuiteServer, external_url, server_under_test
from wsharness import settings
from wsharness.runtime.signals import interrupt_on_signals, interrupted_by


@fixture
def server_for_the_run(context: Context) -> Iterator[SuiteServer]:
    """The server under test, stopped when the run ends."""
    server = server_under_test(external_url(context.config.userdata.get("server_url")))
    # behave runs the code after ``yield`` at the end, failed or not. No ``finally``:
    # a run that dies without its clean-up must not wait on its dying event loop.
    yield server
    server.stop()


@fixture
def cast_for_the_scenario(context: Context) -> Iterator[Cast]:
    """The scenario's people, every connection closed when the scenario ends."""
    context.cast = Cast(context.server.url)
    yield context.cast
    context.cast.close_all()


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
    except ValueError as exc:
        _stop_run(context, f"bad timing option: {exc}")
        return
    try:
        context.server = use_fixture(server_for_the_run, context)
    except ServerUnavailable as exc:
        _stop_run(context, str(exc))


def before_scenario(context: Context, scenario: Scenario) -> None:
    if _aborted_on_interrupt(context):
        return  # behave reports the scenario untested
    use_fixture(cast_for_the_scenario, context)
    context.log_mark = context.server.log_mark()


def after_step(context: Context, step: Step) -> None:
    if step.status.has_failed():
        diagnostics.publish(context, _diagnostics(context))
    elif _aborted_on_interrupt(context):
        # The step passed, its interrupt swallowed: re-raised here, it ends the
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
    context.abort(reason=f"interrupted by {signal_name}")  # says so once per run
    return True


def _diagnostics(context: Context) -> str:
    parts = ["What each person sent (→) and received (←), in ms since the scenario began:"]
    parts.append(context.cast.transcripts() or "  (nobody was connected)")
    logs = context.server.log_lines(context.log_mark)
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
