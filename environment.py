"""behave hooks: the server under test, the people of each scenario, diagnostics.

* before the run: start the project's server on a free port, or use the one
  given with ``-D server_url=ws://...`` (or ``WS_SERVER_URL``); either way, check
  that it accepts a connection, and stop the run with one line if it does not;
* each scenario gets a fresh :class:`acceptance.cast.Cast`, closed afterwards
  whether the scenario passed or failed;
* a failing step prints every person's transcript and the server's log lines
  from that scenario, which behave shows with the failure;
* after the run: stop the server, also after a failure or Ctrl-C.

Timing comes from ``-D timeout=``, ``-D timeout_scale=``, ``-D quiet_window=`` and
``-D late_window=``
(seconds), or the ``WS_TIMEOUT*`` environment variables (:mod:`wsharness.settings`).
"""

from __future__ import annotations

import signal
from types import FrameType

from behave.model import Scenario, Step
from behave.runner import Context

from acceptance import diagnostics
from acceptance.cast import Cast
from acceptance.servers import ServerUnavailable, start_server
from wsharness import settings


def before_all(context: Context) -> None:
    # A CI job that times out sends SIGTERM: treat it like Ctrl-C, so behave
    # aborts cleanly and after_all still stops the server.
    signal.signal(signal.SIGTERM, _interrupt)
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
    if context.config.dry_run:
        return
    try:
        context.server = start_server(userdata.get("server_url"))
    except ServerUnavailable as exc:
        _stop_run(context, str(exc))


def before_scenario(context: Context, scenario: Scenario) -> None:
    context.cast = Cast(context.server.url)
    context.log_mark = context.server.log_mark()


def after_step(context: Context, step: Step) -> None:
    if step.status.has_failed() and hasattr(context, "cast"):
        diagnostics.publish(context, _diagnostics(context))


def after_scenario(context: Context, scenario: Scenario) -> None:
    if hasattr(context, "cast"):
        context.cast.close_all()


def after_all(context: Context) -> None:
    server = getattr(context, "server", None)
    if server is not None:
        server.stop()


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


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _stop_run(context: Context, reason: str) -> None:
    """Abort before any scenario runs; behave prints the reason as one line."""
    context.abort(reason=f"cannot run the acceptance suite: {reason}")
