"""Screenshots of the HTML report, a passing and a failing scenario, for the docs.

    .venv/bin/python -m tools.report_screenshots [--out docs/images]

behave writes the HTML report of one scenario of each kind (``tests/fixtures/``) as CI
does, and headless Chromium takes a screenshot of each for ``docs/reports-and-ci.md``;
tests/test_report_diagrams.py takes the same ones and checks what they show.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from acceptance.testbed import PROJECT_ROOT

WINDOW = (1280, 1500)
"""The screenshots' size in pixels: a laptop's screen and a little more, one scenario
on it below the run's summary."""

BROWSER_TIMEOUT = 120.0
"""Seconds a run of behave or of the browser may take."""

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


@dataclass(frozen=True)
class Shot:
    """One screenshot: which scenario, of which fixture, into which file."""

    file: str
    features: Path
    scenario: str
    options: tuple[str, ...] = ()


SHOTS = (
    Shot(
        "report-passing.png",
        PROJECT_ROOT / "tests" / "fixtures" / "conversation",
        "Alice and Bob chat in the book club",
    ),
    Shot(
        "report-failing.png",
        PROJECT_ROOT / "tests" / "fixtures" / "failing",
        "Bob waits for a word nobody said",
        ("-D", "timeout=0.5"),  # the step waits that long for what does not come
    ),
)


def browser() -> str:
    """Chromium's path; exits with one line when it is not installed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise SystemExit("chromium is not installed (apt-get install -y chromium)")
    return found


def report(shot: Shot, folder: Path) -> Path:
    """Run ``shot``'s scenario with behave, writing its HTML report into ``folder``."""
    page = folder / shot.file.replace(".png", ".html")
    command = [
        *(sys.executable, "-m", "behave", str(shot.features), "--no-color"),
        *("--name", shot.scenario, *shot.options),
        *("-f", "html-pretty", "-o", str(page), "-f", "null"),
    ]
    subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, timeout=BROWSER_TIMEOUT, check=False
    )
    if not page.exists():
        raise SystemExit(f"behave wrote no report for {shot.scenario!r}")
    return page


def render(
    chromium: str, page: Path, profile: Path, *options: str, window: tuple[int, int] = WINDOW
) -> str:
    """Open ``page`` in headless Chromium with ``options``, in a window of ``window``
    pixels; return what it printed."""
    size = f"--window-size={window[0]},{window[1]}"
    result = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, size, f"--user-data-dir={profile}", *options, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"chromium failed on {page}: {result.stderr.strip()[-300:]}")
    return result.stdout


def screenshot(chromium: str, page: Path, png: Path, profile: Path) -> Path:
    """A screenshot of ``page``, the size of :data:`WINDOW`, into ``png``."""
    render(chromium, page, profile, f"--screenshot={png}")
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    chromium = browser()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="report-screenshots-") as work:
        for shot in SHOTS:
            page = report(shot, Path(work))
            png = screenshot(chromium, page, args.out / shot.file, Path(work) / "profile")
            print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
