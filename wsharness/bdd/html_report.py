"""behave-html-pretty-formatter, made to tell the whole run.

The library's ``before_all`` makes the formatter that ``behave.ini`` registers as
``html-pretty`` an :class:`HtmlReport` (:func:`adopt`; adopted rather than registered
by module path, since behave loads formatters before the project's folder is on
``sys.path``), with six corrections, each a place where the report disagreed with the
console (docs/reports-and-ci.md, "Reports that tell the truth"): every feature and
scenario counted with behave's status (:func:`account_for`, from ``after_all``); why
each was skipped; step text exactly as written; a failure's message before its
traceback, folded for a failed assertion; "untested" for what an early stop left;
and the run's summary always, with the steps counted and the target said once.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from behave.model import Feature
from behave.model_core import Status
from behave.runner import Context
from behave_html_pretty_formatter import html_pretty  # type: ignore[import-untyped]
from dominate.tags import b, div, span  # type: ignore[import-untyped]
from dominate.util import container  # type: ignore[import-untyped]

SKIPPED_CAPTION = "Why it was skipped"
"""The caption of a skipped scenario's reason."""

EMBED_ORDER = {"Error Message": 0, "Error Traceback": 2}
"""Where a step's embeds go, by caption: others (the conversation, the transcript) 1."""

_QUOTED = re.compile(r'(?<![^\s(])"([^"]*)"(?=[\s,.;:!?)]|$)')


class HtmlReport(html_pretty.PrettyHTMLFormatter):  # type: ignore[misc]
    """The HTML report: behave-html-pretty-formatter with the corrections above."""

    stream: Any
    features: list[Any]

    run_features: Sequence[Feature] | None = None
    """Every feature of the run, once it has ended."""
    left_out_by: str = ""
    """The tag expression, as the reason a feature or scenario it excludes was skipped."""
    feature_info: dict[str, dict[str, str]]
    """A feature's own "Tested:" and "Versions:" lines, by its location, when a fixture
    gave it a server of its own (:meth:`wsharness.bdd.reports.TargetRecord.for_feature`)."""

    def make_bold_text(self, given_string: str) -> None:
        """The step's words as written, quoted values in bold where they can be told
        apart from quotes inside them."""
        for text, bold in _bold_pieces(given_string):
            if bold:
                b(text)
            else:
                span(text)

    def close(self) -> None:
        if self.run_features is not None and not self._closed:
            self.stream = _Folding(self.stream, self._whole_run(self.run_features))
        for wrapper in self.features:  # the run's lines are in the page's header
            own = self.feature_info.get(str(wrapper.location), {})
            wrapper.generate_feature = functools.partial(_with_info, wrapper.generate_feature, own)
        with _counting_untested(self.features):
            super().close()

    def _generate_global_summary(self) -> bool:
        """The run's summary, always (by default the formatter leaves a one-feature run's
        out), with the steps counted and the target and versions said once."""
        self.global_summary = True
        with container() as written:
            super()._generate_global_summary()
        (summary,) = written.get(id="summary-global")
        with summary.children[0]:  # its counts
            div(f"Steps: {_step_counts(self._steps())}", cls="feature-summary-row")
        if self.additional_info:
            with (
                summary,
                div(cls="feature-additional-info-container", id="additional-info"),
                div(cls="feature-additional-info"),
            ):
                for key, item in self.additional_info.items():
                    div(f"{key}: {item}", cls=f"feature-additional-info-row {key.lower()}")
        return True

    def _steps(self) -> list[Status]:
        """The status of every step of the run, as behave's console counts them."""
        if self.run_features is not None:
            return [
                step.status
                for feature in self.run_features
                for scenario in feature.walk_scenarios()
                for step in scenario
            ]
        return [
            step.status
            for feature in self.features
            for scenario in feature.scenarios
            for step in scenario.steps
        ]

    def _whole_run(self, features: Sequence[Feature]) -> list[str]:
        """Put every feature and scenario of the run in, with behave's status and, if
        skipped, why; return the embeds of failed assertions' tracebacks, to fold (an
        error's, such as a ``KeyError`` in a step, stay open)."""
        shown = {str(wrapper.location): wrapper for wrapper in self.features}
        complete = []
        folded: list[str] = []
        for number, feature in enumerate(features, start=1):
            wrapper = shown.get(str(feature.location))
            if wrapper is None:
                wrapper = html_pretty.Feature(feature, number)
                if feature.background:
                    wrapper.add_background(feature.background)
            wrapper.status = feature.status
            reason = getattr(feature, "skip_reason", None) or self.left_out_by
            if feature.status == Status.skipped:
                why = _feature_skipped_because(feature) or reason
                wrapper.description = f"{wrapper.description}\n\nSkipped: {why}".strip()
            known = {id(scenario._scenario): scenario for scenario in wrapper.scenarios}
            scenarios = []
            for count, scenario in enumerate(feature.walk_scenarios(), start=1):
                drawn = known.get(id(scenario))
                if drawn is None:
                    drawn = html_pretty.Scenario(scenario, wrapper, count, self.pseudo_steps)
                drawn.status = scenario.status
                for step in drawn.steps:  # the error's message first, its traceback last
                    step.embeds.sort(key=lambda embed: EMBED_ORDER.get(embed.caption, 1))
                for step, drawn_step in zip(scenario.all_steps, drawn.steps, strict=False):
                    if isinstance(getattr(step, "exception", None), AssertionError):
                        folded.extend(_tracebacks(drawn_step))
                if scenario.status == Status.skipped and drawn.steps:
                    why = getattr(scenario, "skip_reason", None) or reason
                    drawn.steps[0].embed(
                        html_pretty.Embed("text", f"Skipped: {why}", SKIPPED_CAPTION)
                    )
                scenarios.append(drawn)
            wrapper.scenarios = scenarios
            complete.append(wrapper)
        self.features = complete
        return folded


@contextlib.contextmanager
def _counting_untested(features: Sequence[Any]) -> Iterator[None]:
    """While the page is written, count "untested" beside the formatter's four statuses
    (its summary and filters list only those, by a module constant) if any is untested."""
    untested = any(
        item.status == Status.untested
        for feature in features
        for item in (feature, *feature.scenarios)
    )
    expected = html_pretty.EXPECTED_STATUSES
    if untested and Status.untested not in expected:
        html_pretty.EXPECTED_STATUSES = (*expected, Status.untested)
    try:
        yield
    finally:
        html_pretty.EXPECTED_STATUSES = expected


def _tracebacks(step: Any) -> list[str]:
    """The ids of a drawn step's traceback embeds."""
    return [embed.uuid for embed in step.embeds if embed.caption == "Error Traceback"]


def _step_counts(statuses: Sequence[Status]) -> str:
    """Steps counted as behave's console counts them: "56 passed, 0 failed, 2
    skipped.", then any other status there is ("1 undefined")."""
    counts = Counter(status.name for status in statuses)
    always = ("passed", "failed", "skipped")
    others = [f"{count} {name}" for name, count in counts.items() if name not in always]
    return ", ".join([*(f"{counts[name]} {name}" for name in always), *others]) + "."


def _with_info(generate: Any, info: dict[str, str], formatter: Any) -> None:
    """Draw a feature with its own "additional info" lines (none: the run's are in the
    page's header) in place of the run's."""
    run = formatter.additional_info
    formatter.additional_info = info
    try:
        generate(formatter)
    finally:
        formatter.additional_info = run


class _Folding:
    """The report's stream, folding the embeds with the given ids as it is written."""

    def __init__(self, stream: Any, folded: list[str]) -> None:
        self._stream = stream
        self._folded = folded

    def write(self, text: str) -> Any:
        for uuid in self._folded:
            text = re.sub(
                rf'(class="embed-(?:button|content)) ?("\s+id="embed_(?:button_)?{uuid}")',
                r"\1 collapse\2",
                text,
            )
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def adopt(context: Context) -> None:
    """Make this run's behave-html-pretty-formatter an :class:`HtmlReport` (it adds
    methods and class attributes only, so the instance is one as it stands)."""
    runner = getattr(context, "_runner", None)
    for formatter in getattr(runner, "formatters", None) or []:
        if type(formatter) is html_pretty.PrettyHTMLFormatter:
            formatter.__class__ = HtmlReport
            formatter.feature_info = {}


def account_for(context: Context, features: Sequence[Feature]) -> None:
    """Hand the whole run to the HTML reports of this run (from ``after_all``)."""
    runner = getattr(context, "_runner", None)
    expression = getattr(context.config, "tag_expression", None)
    tags = getattr(context.config, "tags", None)  # as written: "not @load", not "not ( load )"
    written = " and ".join(map(str, tags)) if isinstance(tags, list) and tags else expression
    names = getattr(context.config, "name", None)
    selections = [f"the tags ({written})"] if expression else []
    if names:
        selections.append(f"the names asked for ({', '.join(map(str, names))})")
    left_out = "not selected by " + " and ".join(selections) if selections else "not selected"
    for formatter in getattr(runner, "formatters", None) or []:
        if isinstance(formatter, HtmlReport):
            formatter.run_features = list(features)
            formatter.left_out_by = left_out


def _feature_skipped_because(feature: Feature) -> str | None:
    """Why a feature was skipped: its own reason, else its scenarios' (one each)."""
    own = getattr(feature, "skip_reason", None)
    if own:
        return str(own)
    reasons = dict.fromkeys(
        str(scenario.skip_reason)
        for scenario in feature.walk_scenarios()
        if getattr(scenario, "skip_reason", None)
    )
    return "; ".join(reasons) or None


def _bold_pieces(words: str) -> list[tuple[str, bool]]:
    """``words`` cut into (text, bold) pieces; all plain when a quote stands anywhere
    but around a value."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for match in _QUOTED.finditer(words):
        pieces.append((words[at : match.start()], False))
        pieces.append((match[0], True))
        at = match.end()
    pieces.append((words[at:], False))
    if any('"' in text for text, bold in pieces if not bold):
        return [(words, False)]
    return [(text, bold) for text, bold in pieces if text]
