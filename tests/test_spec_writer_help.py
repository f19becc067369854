"""A step that matches nothing says why, in one line, beside behave's own report."""

from __future__ import annotations

from pathlib import Path

from tests.support import PROJECT_ROOT, run_behave

MISWORDED = PROJECT_ROOT / "tests" / "fixtures" / "misworded"


def test_misworded_steps_are_explained(tmp_path: Path) -> None:
    run = run_behave(str(MISWORDED), report_dir=tmp_path)
    assert run.returncode != 0, run.output
    assert (
        'misworded.feature:6: no step matches "alice is connected": names start with a '
        'capital letter, as in "Alice is connected"'
    ) in run.stderr
    assert (
        'misworded.feature:7: no step matches "Alice hear nothing else at all": did you mean'
        in (run.stderr)
    )
