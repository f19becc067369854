"""The step vocabulary as a Markdown page, ``docs/steps.md``, for people writing scenarios.

It loads ``steps/`` the way behave does and writes one entry per step function from
behave's registry: its phrasings, docstring, file, and the features that use it. Run it
through ``scripts/steps-catalog``; ``--check`` exits 1 when the committed page is stale.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from behave.parser import parse_file
from behave.runner_util import load_step_modules
from behave.step_registry import registry

from acceptance.testbed import PROJECT_ROOT

CATALOG = PROJECT_ROOT / "docs" / "steps.md"

STEP_TYPES = ("given", "when", "then", "step")
"""behave's step types, in the order the page lists them."""

HEADER = """\
# Step catalogue

The sentences the acceptance suite understands, for people writing new
scenarios. Generated from behave's step registry by `scripts/steps-catalog`: do
not edit by hand; run the script after changing a step or a feature.
`tests/test_steps_catalog.py` fails when this page is stale.

Each entry is one step function: the phrasings it matches, its docstring, its
file, and the features that use it. In the patterns, `{name:Name}` is one
person's name, a capitalised word such as `Alice`; `{names:Names}` is one or
more names: `Alice`, `Alice and Bob`, `Alice, Bob and Carol`; `{count:d}` is a
whole number; `{pronoun:w}` is one word (he, she, they); any other `{...}` is
free text, usually between double quotes. Any step may also start with `And`
or `But`.
"""


@dataclass
class StepFunction:
    """One step function: its phrasings, what it does, where it lives, who uses it."""

    where: str
    """Its file, relative to the project root."""
    line: int
    """Where it starts in that file."""
    doc: str
    phrasings: list[str] = field(default_factory=list)
    """``Given ...``, ``When ...``: every pattern registered for it, by step type."""
    features: set[str] = field(default_factory=set)
    """Feature files, relative to the project root, with a step it runs."""


def step_functions(root: Path = PROJECT_ROOT) -> list[StepFunction]:
    """The step functions of ``root/steps`` with the features in ``root/features`` that
    use each, by first step type, file and line (not the order imports registered them)."""
    registry.clear()  # only what root/steps defines, even when called twice
    for name in [name for name in sys.modules if name.startswith("wsharness.bdd.")]:
        if name.endswith("steps"):  # imported before: import again, to register again
            del sys.modules[name]
    load_step_modules([str(root / "steps")])
    functions: dict[Callable[..., Any], StepFunction] = {}
    for step_type in STEP_TYPES:
        for matcher in registry.steps[step_type]:
            function = functions.get(matcher.func)
            if function is None:
                doc = " ".join((inspect.getdoc(matcher.func) or "(no docstring)").split())
                where = _relative(matcher.location.filename, root)
                line = matcher.location.line
                function = functions[matcher.func] = StepFunction(where=where, line=line, doc=doc)
            function.phrasings.append(f"{step_type.title()} {matcher.pattern}")
    for path in sorted((root / "features").rglob("*.feature")):
        feature = parse_file(str(path))
        for scenario in feature.walk_scenarios():
            for step in scenario.all_steps:
                matcher = registry.find_step_definition(step)
                if matcher is not None:
                    functions[matcher.func].features.add(_relative(str(path), root))
    return sorted(functions.values(), key=_place)


def _place(function: StepFunction) -> tuple[int, str, int]:
    first_type = function.phrasings[0].split(" ", 1)[0].lower()
    return STEP_TYPES.index(first_type), function.where, function.line


def _relative(filename: str, root: Path) -> str:
    """``filename`` (absolute, or relative to the working directory) from ``root``."""
    return Path(os.path.abspath(filename)).relative_to(root).as_posix()


def render(functions: list[StepFunction]) -> str:
    """The Markdown page: one entry per step function, grouped by its first step type."""
    sections: dict[str, list[StepFunction]] = {}
    for function in functions:
        keyword = function.phrasings[0].split(" ", 1)[0]
        sections.setdefault(keyword, []).append(function)
    parts = [HEADER]
    for keyword, members in sections.items():
        parts.append(f"## {keyword}\n")
        for function in members:
            phrasings = "<br>".join(f"`{phrasing}`" for phrasing in function.phrasings)
            parts.append(
                f"- {phrasings}<br>\n  {function.doc}<br>\n"
                f"  *{function.where}; {_used_in(function.features)}*\n"
            )
    return "\n".join(parts)


def _used_in(features: set[str]) -> str:
    """Links to the features, from docs/ where the page lives."""
    if not features:
        return "used by no feature"
    links = [f"[{Path(path).name}](../{path})" for path in sorted(features)]
    return "used in " + ", ".join(links)


def generate() -> str:
    """The page as it should read now."""
    return render(step_functions())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/steps-catalog", description=f"Write {CATALOG.relative_to(PROJECT_ROOT)}."
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the page is stale"
    )
    args = parser.parse_args(argv)
    page = generate()
    shown = CATALOG.relative_to(PROJECT_ROOT)
    if args.check:
        if not CATALOG.exists() or CATALOG.read_text(encoding="utf-8") != page:
            print(f"{shown} is stale: run scripts/steps-catalog", file=sys.stderr)
            return 1
        print(f"{shown} is up to date")
        return 0
    CATALOG.parent.mkdir(parents=True, exist_ok=True)
    CATALOG.write_text(page, encoding="utf-8")
    print(f"wrote {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
