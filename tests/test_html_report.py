"""The HTML report of a run with failures, as a person sees it in a real browser.

behave writes the report with behave-html-pretty-formatter; headless Chromium
(Debian's ``chromium``) renders it, dumps the DOM after its scripts ran, and
takes a screenshot. The screenshot is kept in reports/screenshots/ to look at.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import cast

import pytest
from PIL import Image

from tests.support import (
    FAILING_FEATURES,
    MS,
    PROJECT_ROOT,
    behave_duration,
    chromium,
    run_behave,
)
from tools.report_screenshots import render
from wsharness.bdd.diagnostics import CAPTION

SCREENSHOT_COPY = PROJECT_ROOT / "reports" / "screenshots" / "html-report-with-failures.png"
WINDOW = (1280, 2000)


class _VisibleText(HTMLParser):
    """The text of a page, without its scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The failing fixture's HTML report, rendered: the page text and a screenshot."""
    browser = chromium()
    folder = tmp_path_factory.mktemp("html")
    report = folder / "report.html"
    result = run_behave(
        str(FAILING_FEATURES),
        *behave_duration("timeout", 500),
        *("-f", "html-pretty", "-o", str(report)),
        report_dir=folder,
    )
    assert result.returncode == 1, result.output
    dom = render(browser, report, folder / "profile-dom", "--dump-dom", window=WINDOW)
    assert "<body" in dom, dom[-300:]
    screenshot = folder / "screenshot.png"
    render(browser, report, folder / "profile-shot", f"--screenshot={screenshot}", window=WINDOW)
    assert screenshot.exists(), "chromium wrote no screenshot"
    SCREENSHOT_COPY.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(screenshot, SCREENSHOT_COPY)
    text = _VisibleText()
    text.feed(dom)
    return " ".join(" ".join(text.parts).split()), screenshot


def test_page_names_the_failed_scenarios_and_steps(rendered: tuple[str, Path]) -> None:
    """Both failing scenarios, their failed steps and the failed count are on the page."""
    text, _ = rendered
    assert "Scenario: Bob waits for a word nobody said" in text, text
    assert "Scenario: Echoes checked in the wrong order" in text, text
    assert re.search(r"Failed: 2\b", text), text
    assert f"Bob did not receive 'goodbye' within {500 * MS:g} s" in text, text
    assert "Expected: <['second']> but: was <['first']>" in text, text


def test_page_shows_the_transcript_of_the_failure(rendered: tuple[str, Path]) -> None:
    """Under the failed step: every person's transcript, with arrows and ms."""
    text, _ = rendered
    assert text.count(CAPTION) == 2, text
    for person in ("Alice", "Bob", "Carol"):
        assert re.search(rf"{person} \(ws://127\.0\.0\.1:\d+\):", text), text
    assert re.search(r"\d+\.\d ms ← 'hello'", text), text
    assert re.search(r"\d+\.\d ms → '\{\"type\": \"ECHO\", \"value\": \"first\"\}'", text), text
    assert re.search(r"\d+\.\d ms · close code 1000", text), text


def test_page_says_which_server_was_tested(rendered: tuple[str, Path]) -> None:
    """Each feature's header says what was tested, in the words the console used."""
    text, _ = rendered
    assert re.search(
        r"Tested: 1 server, started by the suite, for this run: ws://127\.0\.0\.1:\d+; "
        r"TLS: no \(ws://\); token: none; origin: none",
        text,
    ), text


def test_screenshot_shows_failures_in_red(rendered: tuple[str, Path]) -> None:
    """The rendered page is the full window and marks failures red, above the fold."""
    _, screenshot = rendered
    with Image.open(screenshot) as image:
        assert image.size == WINDOW
        pixels = image.convert("RGB").resize((WINDOW[0] // 8, WINDOW[1] // 8))
        colours = [cast(tuple[int, int, int], pixel) for pixel in pixels.get_flattened_data()]
    reddish = sum(1 for r, g, b in colours if r > 200 and g < 160 and b < 160)
    assert reddish > len(colours) // 100, f"only {reddish} red pixels in {screenshot}"
