"""docs/protocol.md maps each rule to the scenario or test that specifies it; every
name in that map must exist, or the map would point readers at nothing."""

from __future__ import annotations

import re

from behave.model import ScenarioOutline
from behave.parser import parse_file

from tests.support import PROJECT_ROOT

MAP = (PROJECT_ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
SCENARIO = re.compile(r"`(\w+\.feature)`: \*([^*]+)\*")
TEST = re.compile(r"`(tests/\w+\.py)::(\w+)`")
EXAMPLES = re.compile(r'the outline, "([^"]+)"')
OUTLINE = ("bad_input.feature", "A malformed request is answered with its reason")


def _scenarios(feature: str) -> dict[str, object]:
    parsed = parse_file(str(PROJECT_ROOT / "features" / feature))
    assert parsed is not None, feature
    return {scenario.name: scenario for scenario in parsed.scenarios}


def test_every_scenario_named_in_the_map_exists() -> None:
    """Each `file.feature`: *name* is a scenario of that feature file."""
    named = SCENARIO.findall(MAP)
    assert len(named) > 40, "the map names fewer scenarios than it should; is it still there?"
    missing = [ref for ref in named if ref[1] not in _scenarios(ref[0])]
    assert not missing, f"docs/protocol.md names scenarios that do not exist: {missing}"


def test_every_test_named_in_the_map_exists() -> None:
    """Each `tests/file.py::name` is a test function in that file."""
    named = TEST.findall(MAP)
    assert len(named) > 15, "the map names fewer tests than it should; is it still there?"
    missing = [
        ref
        for ref in named
        if f"\ndef {ref[1]}(" not in (PROJECT_ROOT / ref[0]).read_text(encoding="utf-8")
    ]
    assert not missing, f"docs/protocol.md names tests that do not exist: {missing}"


def test_every_example_group_named_in_the_map_exists() -> None:
    """Each 'the outline, "name"' is an Examples group of the bad-input outline."""
    outline = _scenarios(OUTLINE[0])[OUTLINE[1]]
    assert isinstance(outline, ScenarioOutline)
    groups = {examples.name for examples in outline.examples}
    named = EXAMPLES.findall(MAP)
    assert named, "the map names no example groups"
    missing = [name for name in named if name not in groups]
    assert not missing, f"docs/protocol.md names example groups that do not exist: {missing}"
