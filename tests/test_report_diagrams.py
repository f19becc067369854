"""Each scenario's conversation in the HTML report, as a person sees it in a real browser.

tools/report_screenshots.py runs a passing and a failing scenario with behave,
writing the HTML report; headless Chromium (Debian's ``chromium``) renders each,
dumps the page after its scripts ran and takes the screenshot the docs show. The
tests check the page and the picture.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import pytest
from PIL import Image

from tests.support import MS, chromium, run_behave
from tools import report_screenshots
from tools.report_screenshots import SHOTS, WINDOW

BOX = (238, 243, 251)
"""The fill of a person's box at the top of a lifeline: only a diagram has it."""
RED = (208, 0, 0)
"""The colour of the arrow of a message that broke the step."""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, Path]]:
    """For each screenshot (passing, failing): the rendered page and the PNG."""
    browser = chromium()
    folder = tmp_path_factory.mktemp("diagrams")
    rendered = {}
    for shot in SHOTS:
        page = report_screenshots.report(shot, folder)
        dom = report_screenshots.render(browser, page, folder / "dom", "--dump-dom")
        png = report_screenshots.screenshot(browser, page, folder / shot.file, folder / "shot")
        rendered[shot.file] = (dom, png)
    return rendered


def _diagrams(dom: str) -> list[str]:
    return re.findall(
        r'<svg xmlns="http://www.w3.org/2000/svg" class="conversation".*?</svg>', dom, re.DOTALL
    )


def _shown(svg: str) -> str:
    """The diagram's texts, without hover titles."""
    return " | ".join(
        text.strip()
        for text in re.findall(r"<text[^>]*>(?:<title>.*?</title>)?([^<]*)</text>", svg)
        if text.strip()
    )


def _pixels(png: Path, colour: tuple[int, int, int]) -> int:
    with Image.open(png) as image:
        assert image.size == WINDOW
        colours = image.convert("RGB").get_flattened_data()
    return sum(1 for pixel in colours if cast(tuple[int, int, int], pixel) == colour)


def test_passing_scenario_shows_its_conversation(pages: dict[str, tuple[str, Path]]) -> None:
    """A passing scenario's report draws its conversation with the people's names and the
    group as the feature wrote it, and the diagram is on screen."""
    dom, png = pages["report-passing.png"]
    (diagram,) = _diagrams(dom)
    shown = _shown(diagram)
    assert shown.endswith("Alice | Bob | server"), shown
    assert "GROUP_CREATED: book club" in shown and "✓ proved: nothing else" in shown, shown
    assert not re.search(r'class="[^"]*cv-failed', diagram), diagram
    assert _pixels(png, BOX) > 5_000, "no person's box is on screen"
    assert _pixels(png, RED) == 0


def test_failing_scenario_marks_the_frame_and_the_step(pages: dict[str, tuple[str, Path]]) -> None:
    """A failing scenario's diagram marks Bob's unexpected 'hello', what he waited for
    and the failed step, in red, on screen, before the error's traceback."""
    dom, png = pages["report-failing.png"]
    (diagram,) = _diagrams(dom)
    shown = _shown(diagram)
    assert shown.endswith("Alice | Bob | Carol | server"), shown
    red = re.findall(r'<g class="cv-row cv-\w+ cv-failed">.*?</g>', diagram)
    assert [_shown(row) for row in red] == [
        "hello",
        f"Bob did not receive 'goodbye' within {500 * MS:g} s",
    ], red
    assert '<g class="cv-step cv-failed">' in diagram
    assert dom.index("<svg") < dom.index("Error Traceback")
    assert _pixels(png, BOX) > 5_000, "no person's box is on screen"
    assert _pixels(png, RED) > 200, "the red arrows are not on screen"


def test_default_suites_report_stays_small(tmp_path: Path) -> None:
    """The whole default suite's HTML report, a diagram for every scenario that ran,
    stays under 5 MB."""
    report = tmp_path / "index.html"
    result = run_behave("features/", "-f", "html-pretty", "-o", str(report), report_dir=tmp_path)
    assert result.returncode == 0, result.output
    ran = len(result.with_status("passed"))
    assert ran > 50, result.statuses
    html = report.read_text("utf-8")
    assert len(_diagrams(html)) == ran
    assert report.stat().st_size < 5_000_000, report.stat().st_size
