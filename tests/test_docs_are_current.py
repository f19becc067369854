"""The README, the changelog, the pages of docs/ and the code's docstrings name only what
exists: every repository path, module, attribute, test and link they give. Counts of
scenarios are not written by hand, and the README's list of features is complete."""

from __future__ import annotations

import importlib
import re
import textwrap
from pathlib import Path

from tests.doc_references import (
    CODE_SPAN,
    PACKAGES,
    Reference,
    docstring_references,
    problem,
    prose,
    references,
)
from tests.support import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
DOCUMENTS = [README, PROJECT_ROOT / "CHANGELOG.md", *sorted(PROJECT_ROOT.glob("docs/*.md"))]
# The README's "Testing your own WebSocket server" lays out a project of the reader's own.
# Its paths are those of the worked example, and are checked there.
READERS_PROJECT = PROJECT_ROOT / "examples" / "pubsub"
THEIRS = {"features/environment.py", "features/steps/wsharness_steps.py"}
THEIRS |= {"features/publishing.feature"}
PUBLIC_MODULES = ("wsharness", "wsharness.bdd", "wsharness.bdd.environment")
SCENARIO_COUNT = re.compile(r"\b\d[\d,]*[\s-]+scenarios?\b")


def _stale(found: list[Reference]) -> list[str]:
    return [f"{reference}: {why}" for reference in found if (why := problem(reference))]


def _is_theirs(reference: Reference) -> bool:
    """A path of the reader's own project, in the README."""
    return reference.document == README and reference.kind == "path" and reference.text in THEIRS


def test_every_path_name_and_link_in_the_documents_exists() -> None:
    """A path, module, attribute, ``file::test`` or link that a document gives exists;
    a heading a link points at exists too."""
    found = [ref for document in DOCUMENTS for ref in references(document)]
    kinds = {kind: sum(ref.kind == kind for ref in found) for kind in ("path", "name", "link")}
    assert min(kinds.values()) > 30, f"too few references found; is the reading broken? {kinds}"
    stale = _stale([ref for ref in found if not _is_theirs(ref)])
    assert not stale, "the documents name what does not exist:\n" + "\n".join(stale)


def test_the_readers_project_in_the_readme_is_the_worked_example() -> None:
    """The paths of a reader's own project that the README shows exist in examples/pubsub;
    the list of them holds only paths the README still names."""
    named = {ref.text for ref in references(README) if _is_theirs(ref)}
    assert named == THEIRS, f"the README no longer names {THEIRS - named}: drop them from THEIRS"
    missing = sorted(path for path in THEIRS if not (READERS_PROJECT / path).exists())
    assert not missing, f"examples/pubsub has none of {missing}, which the README shows"


def test_every_module_and_attribute_a_docstring_names_exists() -> None:
    """What the code's docstrings name with a Sphinx role (mod, class, func and the like)
    exists; a name with a leading dot is in the docstring's own package."""
    files = [
        file for package in PACKAGES for file in sorted(PROJECT_ROOT.glob(f"{package}/**/*.py"))
    ]
    found = [
        ref
        for file in [*files, PROJECT_ROOT / "environment.py"]
        for ref in docstring_references(file)
    ]
    assert len(found) > 50, "too few docstring references found; is the reading broken?"
    stale = _stale(found)
    assert not stale, "docstrings name what does not exist:\n" + "\n".join(stale)


def test_no_document_states_a_count_of_scenarios() -> None:
    """A count of scenarios goes stale with the next scenario: the documents do not give
    one, except in quoted output, which records one run."""
    counts = [
        f"{document.relative_to(PROJECT_ROOT)}: {found.group()!r}"
        for document in DOCUMENTS
        for found in SCENARIO_COUNT.finditer(prose(document.read_text(encoding="utf-8")))
    ]
    assert not counts, "counts of scenarios written by hand:\n" + "\n".join(counts)


def test_the_readme_names_every_feature_file() -> None:
    """The README's row for features/ names each feature file, and no other."""
    [row] = [
        line for line in README.read_text("utf-8").splitlines() if line.startswith("| `features/`")
    ]
    named = {span.group(2) for span in CODE_SPAN.finditer(row)} - {"features/"}
    features = {file.stem for file in PROJECT_ROOT.glob("features/*.feature")}
    assert {name for name in named if not name.startswith("@")} == features


def test_the_readme_lists_the_librarys_public_api() -> None:
    """The README's table of the library's public API names exactly the ``__all__`` of
    each public module: a name added to the API is documented, and one documented is in it."""
    rows = {
        cells[1].strip(" `"): cells[2]
        for line in README.read_text("utf-8").splitlines()
        if line.startswith("| `wsharness") and len(cells := line.split("|")) > 3
    }
    for name in PUBLIC_MODULES:
        listed = {span.group(2) for span in CODE_SPAN.finditer(rows[name])}
        assert listed == set(importlib.import_module(name).__all__), name


# ---------------------------------------------------------------------------
# The reading itself, on a page written for it

PAGE = """\
# A page

## Set up

Run `scripts/acceptance-stage --tags @core` or `tests/test_rules.py::no_such_test`, see
`server/no_such_module.py`, `wsharness.bdd.configure`, `wsharness.bdd.no_such_name`,
`server.pem` (a file), `TestWebSocket.no_such_method` and `features/*.nofeature`.
A [link](#set-up), a [broken one](#set-down) and [a missing page](no_such_page.md).

| path | what it is |
|---|---|
| `acceptance/` | the chat (`chat.py`) and `gone.py` |

```sh
.venv/bin/python -m bench.no_such_benchmark
```

```text
output that names tools/no_such_tool.py is quoted, not checked
```

```python
from wsharness import TestWebSocket, NoSuchClass
```
"""


def test_the_reading_finds_each_kind_of_stale_reference(tmp_path: Path) -> None:
    """Stale paths, names, tests, members, links, anchors and files of a folder's table
    row are found, in prose, commands and Python; output and file names are not read."""
    page = tmp_path / "page.md"
    page.write_text(textwrap.dedent(PAGE), encoding="utf-8")
    assert [
        f"{ref.line}: {ref.text}: {why}" for ref in references(page) if (why := problem(ref))
    ] == [
        "5: tests/test_rules.py::no_such_test: tests.test_rules has no no_such_test",
        "6: server/no_such_module.py: there is no server/no_such_module.py",
        "6: wsharness.bdd.no_such_name: wsharness.bdd has no no_such_name",
        "7: TestWebSocket.no_such_method: no class TestWebSocket of the project has no_such_method",
        "7: features/*.nofeature: nothing matches features/*.nofeature",
        f"8: #set-down: {tmp_path}/page.md has no heading whose anchor is #set-down",
        f"8: no_such_page.md: the link points at {tmp_path}/no_such_page.md, which does not exist",
        "12: gone.py: no gone.py under acceptance/",
        "15: bench.no_such_benchmark: bench has no no_such_benchmark",
        "23: wsharness.NoSuchClass: wsharness has no NoSuchClass",
    ]
