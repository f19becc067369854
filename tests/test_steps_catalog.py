"""docs/steps.md, the step vocabulary for people writing scenarios, matches the steps."""

from __future__ import annotations

from acceptance import catalog

BEHAVE_ENTRIES = """\
Given {names:Names} are connected
  Location: steps/connection_steps.py:11
    Open a connection for each person
    and wait until every one is open.

When {names:Names} connect
  Location: steps/connection_steps.py:11
    Open a connection for each person
    and wait until every one is open.

Then nobody hears anything else
  Location: steps/hearing_steps.py:52
    Once the server has surely finished, nobody received anything unheard.
"""


def test_committed_catalogue_is_up_to_date() -> None:
    """Fails after a step or its docstring changed: run scripts/steps-catalog and commit."""
    committed = catalog.CATALOG.read_text(encoding="utf-8")
    assert committed == catalog.generate(), "docs/steps.md is stale: run scripts/steps-catalog"


def test_phrasings_of_one_step_function_are_listed_together() -> None:
    """Aliases stacked on one function become one entry, under its first keyword."""
    functions = catalog.parse(BEHAVE_ENTRIES)
    assert [f.phrasings for f in functions] == [
        ["Given {names:Names} are connected", "When {names:Names} connect"],
        ["Then nobody hears anything else"],
    ]
    assert functions[0].doc == (
        "Open a connection for each person and wait until every one is open."
    )
    assert functions[0].where == "steps/connection_steps.py"
    page = catalog.render(functions)
    assert "## Given\n" in page and "## Then\n" in page and "## When" not in page
