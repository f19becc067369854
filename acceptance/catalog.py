"""The step vocabulary as a Markdown page, generated from the step docstrings.

People writing a new scenario look up the sentences the suite understands in
``docs/steps.md``. behave lists them (``--format=steps.catalog``, what
``--steps-catalog`` shows); this module groups the phrasings of one step
function together and writes Markdown. Run it through ``scripts/steps-catalog``;
``--check`` exits 1 when the committed page is stale, as tests/test_steps_catalog.py does.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from acceptance.servers import PROJECT_ROOT

CATALOG = PROJECT_ROOT / "docs" / "steps.md"

HEADER = """\
# Step catalogue

The sentences the acceptance suite understands, for people writing new
scenarios. Generated from the step docstrings by `scripts/steps-catalog`
(behave's `--steps-catalog`): do not edit by hand; run the script after changing
a step. `tests/test_steps_catalog.py` fails when this page is stale.

In the patterns, `{name:Name}` is one person's name, a capitalised word such as
`Alice`; `{names:Names}` is one or more names: `Alice`, `Alice and Bob`,
`Alice, Bob and Carol`; `{count:d}` is a whole number; `{pronoun:w}` is one
word (he, she, they); any other `{...}` is free text, usually between double
quotes. Any step may also start with `And`
or `But`.
"""


@dataclass
class StepFunction:
    """One step function: its phrasings, what it does, and where it lives."""

    where: str
    doc: str
    phrasings: list[str] = field(default_factory=list)


def behave_catalog() -> str:
    """behave's own steps catalogue, with locations, for the project's steps."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "catalog.txt"
        subprocess.run(
            [
                *(sys.executable, "-m", "behave", "--dry-run", "--no-summary", "--no-color"),
                *("--format=steps.catalog", f"--outfile={output}"),
            ],
            cwd=PROJECT_ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return output.read_text(encoding="utf-8")


def parse(catalog: str) -> list[StepFunction]:
    """Group behave's entries by step function, in the order behave lists them."""
    functions: dict[str, StepFunction] = {}
    for block in catalog.strip().split("\n\n"):
        lines = block.strip("\n").splitlines()
        phrasing = lines[0].strip()
        location = next(
            (line.split(":", 1)[1].strip() for line in lines if "Location:" in line), ""
        )
        doc = " ".join(
            line.strip() for line in lines[1:] if line.strip() and "Location:" not in line
        )
        if location not in functions:
            where = location.rsplit(":", 1)[0]
            functions[location] = StepFunction(where=where, doc=doc)
        functions[location].phrasings.append(phrasing)
    return list(functions.values())


def render(functions: list[StepFunction]) -> str:
    """The Markdown page: one entry per step function, grouped by first keyword."""
    sections: dict[str, list[StepFunction]] = {}
    for function in functions:
        keyword = function.phrasings[0].split(" ", 1)[0]
        sections.setdefault(keyword, []).append(function)
    parts = [HEADER]
    for keyword, members in sections.items():
        parts.append(f"## {keyword}\n")
        for function in members:
            phrasings = "<br>".join(f"`{phrasing}`" for phrasing in function.phrasings)
            parts.append(f"- {phrasings}<br>\n  {function.doc} *({function.where})*\n")
    return "\n".join(parts)


def generate() -> str:
    """The page as it should read now."""
    return render(parse(behave_catalog()))


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
