"""docs/steps.md, the step vocabulary for people writing scenarios, matches the steps."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tools import steps_catalog

STEPS = '''
from behave import given, then, when


@given("{who} is connected")
@when("{who} connects")
def step_connected(context, who):
    """Open a connection
    and wait until it is open."""


@then("{who:w} hears nothing")
def step_hears_nothing(context, who):
    """Nothing arrived."""


@then("{who} is ignored")
def step_never_used(context, who):
    pass
'''

FEATURE = """
Feature: Echo
  Background:
    Given Alice is connected

  Scenario Outline: Nobody talks
    Then <who> hears nothing

    Examples:
      | who |
      | Bob |
"""


def test_committed_catalogue_is_up_to_date() -> None:
    """Fails after a step, its docstring or a feature changed: run scripts/steps-catalog."""
    committed = steps_catalog.CATALOG.read_text(encoding="utf-8")
    assert committed == steps_catalog.generate(), (
        "docs/steps.md is stale: run scripts/steps-catalog"
    )


def test_entries_come_from_the_registry_with_the_features_that_use_them(tmp_path: Path) -> None:
    """Phrasings of one function form one entry under its first step type, with its
    docstring on one line and the features whose steps (background and outline rows
    included) it runs; a step no feature uses says so."""
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps" / "people_steps.py").write_text(STEPS, encoding="utf-8")
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "echo.feature").write_text(textwrap.dedent(FEATURE), "utf-8")

    functions = steps_catalog.step_functions(tmp_path)

    assert [(f.phrasings, f.doc, f.where, f.features) for f in functions] == [
        (
            ["Given {who} is connected", "When {who} connects"],
            "Open a connection and wait until it is open.",
            "steps/people_steps.py",
            {"features/echo.feature"},
        ),
        (
            ["Then {who:w} hears nothing"],
            "Nothing arrived.",
            "steps/people_steps.py",
            {"features/echo.feature"},
        ),
        (["Then {who} is ignored"], "(no docstring)", "steps/people_steps.py", set()),
    ]
    page = steps_catalog.render(functions)
    assert "## Given\n" in page and "## Then\n" in page and "## When" not in page
    assert "used in [echo.feature](../features/echo.feature)" in page
    assert "*steps/people_steps.py; used by no feature*" in page
