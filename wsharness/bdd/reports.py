"""What every report says about the run: which target it tested, and how the run ended.

The target (:meth:`wsharness.bdd.target.Target.facts`, never a token) goes into the
JUnit XML (``target.*`` properties of every ``<testsuite>``), the HTML report's header
("Tested: ..." and "Versions: ...") and behave's JSON report (a ``"target"`` object per
feature); a feature whose fixture gives it a server of its own is recorded with that
one (:meth:`TargetRecord.for_feature`). How the run ended goes into the *run record*
(``-D run_record=PATH``), which the acceptance stage reads for its exit status; see
docs/reports-and-ci.md.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from behave.formatter.json import JSONFormatter
from behave.model import Feature
from behave.reporter.junit import JUnitReporter
from behave.runner import Context

from wsharness.bdd.target import Target

HTML_CAPTION = "Tested"
"""The caption of the target's one line in the HTML report's header."""

VERSIONS_CAPTION = "Versions"
"""The caption of the line naming the versions of the tools that tested."""

DISTRIBUTION = "websocket-acceptance"
"""The name this library is installed under."""


@dataclass
class TargetRecord:
    """Which target each feature of the run was tested against, as the reports record it."""

    target: Target
    """The run's target."""
    html: list[Any] = field(default_factory=list)
    """The HTML reports (formatters with "additional info")."""
    json: list[JSONFormatter] = field(default_factory=list)
    features: dict[str, Mapping[str, str]] = field(default_factory=dict)
    """A feature's own target, by the feature's location."""

    def for_feature(self, feature: Feature, target: Target) -> None:
        """Record that ``feature`` (the one running) was tested against a target of its
        own, instead of the run's."""
        self.features[str(feature.location)] = target.facts()
        for formatter in self.json:
            _json(formatter, self, feature)
        for formatter in self.html:
            own = getattr(formatter, "feature_info", None)
            if isinstance(own, dict):
                own[str(feature.location)] = _html_info(target)

    def facts_of(self, feature: Feature) -> Mapping[str, str]:
        """The target ``feature`` was tested against."""
        return self.features.get(str(feature.location)) or self.target.facts()


def record_target(context: Context, target: Target) -> TargetRecord:
    """Put the target into every report of this run that has room for it, and return the
    record, to which a feature with a target of its own is added."""
    record = TargetRecord(target)
    runner = getattr(context, "_runner", None)
    for formatter in getattr(runner, "formatters", None) or []:
        if isinstance(formatter, JSONFormatter):
            record.json.append(formatter)
            _after_feature(formatter, functools.partial(_json, formatter, record))
        info = getattr(formatter, "additional_info", None)
        if isinstance(info, dict):
            record.html.append(formatter)
            info.update(_html_info(target))
    for reporter in context.config.reporters:
        if isinstance(reporter, JUnitReporter):
            _after_feature(reporter, functools.partial(_junit, reporter, record))
    return record


def _html_info(target: Target) -> dict[str, str]:
    """The HTML report's lines for a target."""
    line = target.describe().removeprefix("testing ")
    return {HTML_CAPTION: line, VERSIONS_CAPTION: versions(target.facts().get("software"))}


def versions(server: str | None = None) -> str:
    """The versions of what was tested and what tested, in one line: the server, as it
    names itself (``server`` from :meth:`Target.software_line`; left out when it was
    not asked), then behave, this library, websockets, Python."""
    return ", ".join(
        [
            *([f"server {server}"] if server else []),
            f"behave {_version('behave')}",
            f"wsharness {_version(DISTRIBUTION)}",
            f"websockets {_version('websockets')}",
            f"Python {platform.python_version()}",
        ]
    )


def _version(distribution: str) -> str:
    """The installed version; for this library run from a checkout, not installed,
    the checkout's own (its ``pyproject.toml``)."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        if distribution == DISTRIBUTION and (version := _checkout_version()):
            return f"{version} (from a checkout)"
        return "(from a checkout)"


def _checkout_version() -> str | None:
    """The version ``pyproject.toml`` beside this package names, if there is one."""
    try:
        text = (Path(__file__).parents[2] / "pyproject.toml").read_text("utf-8")
        project = tomllib.loads(text).get("project", {})
    except (OSError, ValueError):
        return None
    version = project.get("version") if isinstance(project, dict) else None
    return version if isinstance(version, str) else None


def write_run_record(
    path: str | None,
    facts: Mapping[str, str],
    stopped: Any,
    scenarios: Mapping[str, int] | None = None,
) -> None:
    """Write the run record where one was asked for (``stopped``: None or ``{"why": ...,
    "reason": ...}``; ``scenarios``, once the run is over: :func:`scenario_counts`)."""
    if not path:
        return
    record: dict[str, Any] = {"target": dict(facts), "stopped": stopped}
    if scenarios is not None:
        record["scenarios"] = dict(scenarios)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def scenario_counts(features: Iterable[Feature]) -> dict[str, int]:
    """How many scenarios ended in each status (``{"passed": 34}``), as behave's console
    counts them: outline rows one each, those the tags left out as skipped, those an
    early stop never reached as untested (behave's JSON report has neither of those)."""
    return dict(
        Counter(
            scenario.status.name for feature in features for scenario in feature.walk_scenarios()
        )
    )


def read_run_record(path: Path) -> dict[str, Any] | None:
    """The run record at ``path``, or None if the run wrote none."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _after_feature(owner: Any, then: Callable[[Feature], None]) -> None:
    """Have ``owner.feature(feature)`` (a formatter's or reporter's) call
    ``then(feature)`` after its own work."""
    original = owner.feature

    def feature_then(feature: Feature) -> None:
        original(feature)
        then(feature)

    owner.feature = feature_then


def _json(formatter: JSONFormatter, record: TargetRecord, feature: Feature) -> None:
    """Put the target into the feature's JSON, if it is the one being written."""
    data = getattr(formatter, "current_feature_data", None)
    if isinstance(data, dict) and data.get("location") == str(feature.location):
        data["target"] = dict(record.facts_of(feature))


def _junit(reporter: JUnitReporter, record: TargetRecord, feature: Feature) -> None:
    """Add ``<properties>`` to the feature's JUnit file, which the reporter has just
    written (none is written for a skipped feature when skipped ones are hidden)."""
    facts = record.facts_of(feature)
    name = f"TESTS-{reporter.make_feature_filename(feature)}.xml"
    path = Path(os.path.join(reporter.config.junit_directory, name))
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    start = text.find("<testsuite")
    end = text.find(">", start)
    if start < 0 or end < 0:
        return
    properties = "".join(
        f"<property name={quoteattr('target.' + key)} value={quoteattr(value)} />"
        for key, value in facts.items()
    )
    empty = text[end - 1] == "/"  # <testsuite ... /> with no test case
    head = f"{text[: end - 1]}>" if empty else text[: end + 1]
    tail = "</testsuite>" if empty else ""
    path.write_text(f"{head}<properties>{properties}</properties>{tail}{text[end + 1 :]}", "utf-8")
