"""Each scenario's conversation, in every report CI shows.

The hooks time each step; when a step fails, or else at the end of a scenario that ran,
:func:`publish` draws its conversation (:mod:`wsharness.conversation`) into the HTML
report, inline under that step, and, with ``-D conversations=DIR``, into a standalone SVG
per scenario. A failing step's diagnostics start with the same conversation as text
(:func:`as_text`), so the console and JUnit tell it in the diagram's words.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

from behave.model import Scenario, Step
from behave.runner import Context

from wsharness.bdd import diagnostics, registry
from wsharness.bdd.cast import Cast
from wsharness.conversation import Conversation, StepTiming, Voice, build, svg, text

CAPTION = "The conversation"
"""The caption of the diagram in the HTML report."""


def step_started(context: Context, step: Step) -> None:
    """Note when ``step`` started."""
    _times(context)[id(step)] = (time.monotonic(), None)


def step_ended(context: Context, step: Step) -> None:
    """Note when ``step`` ended."""
    times = _times(context)
    started, _ = times.get(id(step), (None, None))
    times[id(step)] = (started, time.monotonic())


def conversation(context: Context, scenario: Scenario) -> Conversation | None:
    """The conversation of ``scenario`` so far; None if it has no cast (it did not run)."""
    cast: Cast | None = getattr(context, "cast", None)
    if cast is None:
        return None
    failed = scenario.status.has_failed() or any(
        step.status.has_failed() for step in scenario.all_steps
    )
    times = _times(context)
    steps = [
        StepTiming(
            step.keyword,
            step.name,
            *times.get(id(step), (None, None)),
            step.status.name,
            step.error_message if step.status.has_failed() else None,
        )
        for step in scenario.all_steps
    ]
    voices = [
        Voice(
            person.name,
            person.client.url,
            person.node,
            person.client.transcript,
            frozenset(record.seq for record in person.client.received) if failed else frozenset(),
        )
        for person in cast.people
    ]
    return build(
        f"{scenario.feature.name}: {scenario.name}",
        "failed" if failed else scenario.status.name,
        voices,
        cast.urls,
        steps,
        as_written=cast.unique_name.as_written,
        words_for=cast.adapter.describe,
    )


def as_text(context: Context) -> str:
    """The conversation of the running scenario as text (empty if it has none)."""
    drawn = conversation(context, context.scenario)
    return text.render(drawn) if drawn is not None else ""


def publish(context: Context, scenario: Scenario) -> None:
    """Draw the scenario's conversation into the HTML report and the folder asked for,
    once: at its failing step (so the report shows it before the error), else at its
    end. A drawing that fails says so in one line and fails nothing."""
    if getattr(context, "conversation_drawn", False) or not drawing(context):
        return
    try:
        _publish(context, scenario)
    except Exception as exc:  # a report's picture must never fail a scenario
        print(f"could not draw {scenario.name!r}: {exc!r}", file=sys.__stderr__)


def drawing(context: Context) -> bool:
    """Whether diagrams are drawn: yes unless ``-D diagrams=off`` (``WS_DIAGRAMS``), which
    is for measuring what they cost. Any other value is a bad setting."""
    value = (registry.value("diagrams", context.config.userdata, os.environ) or "on").strip()
    if value.lower() not in ("on", "off"):
        raise ValueError(f"diagrams must be on or off, not {value!r}")
    return value.lower() == "on"


def _publish(context: Context, scenario: Scenario) -> None:
    drawn = conversation(context, scenario)
    if drawn is None:
        return
    context.conversation_drawn = True
    picture = svg.render(drawn)
    for formatter in diagnostics.html_formatters(context):
        formatter.embed("text/html", picture, caption=CAPTION, compress=False)
    folder = registry.value("conversations", context.config.userdata, os.environ)
    if folder:
        path = Path(folder) / file_name(scenario)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(picture + "\n", encoding="utf-8")


def file_name(scenario: Scenario) -> str:
    """``feature-file--scenario-name.svg``, in lower case letters, digits and hyphens;
    an outline's examples keep their row number, so each has its own file."""
    feature = Path(scenario.location.filename).stem
    return f"{_slug(feature)}--{_slug(scenario.name)}.svg"


def _slug(words: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")[:80] or "scenario"


def _times(context: Context) -> dict[int, tuple[float | None, float | None]]:
    """The step times of the running scenario (behave forgets them when it ends)."""
    if not hasattr(context, "step_times"):
        context.step_times = {}
    times: dict[int, tuple[float | None, float | None]] = context.step_times
    return times
