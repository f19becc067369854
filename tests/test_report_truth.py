"""The HTML report tells the run as the console does: counts, skips and their reasons,
step text as written, what was tested with which versions, and failures message first.

behave runs real features against the project's server, in its own process, with the
HTML report; the tests read the report's text as a browser shows it (its scripts only
fold and unfold), and its failure sections.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from html import unescape
from pathlib import Path

import psutil
import pytest

from tests.support import (
    FAILING_FEATURES,
    MS,
    PROJECT_ROOT,
    RUN_TIMEOUT,
    behave_duration,
    controlled_server,
    run_behave,
)
from tests.test_html_report import _VisibleText
from wsharness.bdd.health import check_target
from wsharness.bdd.reports import versions
from wsharness.bdd.target import Target

FEATURES = PROJECT_ROOT / "features"
PROJECT_VERSION = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text("utf-8"))["project"][
    "version"
]


def _text(html: str) -> str:
    text = _VisibleText()
    text.feed(html)
    return " ".join(" ".join(text.parts).split())


@pytest.fixture(scope="module")
def skipping(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    """A run with a feature the tags leave out, scenarios a hook skips and JSON in step
    text: what the console said, the HTML report's text, and its HTML."""
    folder = tmp_path_factory.mktemp("truth")
    report = folder / "report.html"
    result = run_behave(
        *(
            str(FEATURES / name)
            for name in ("cluster.feature", "load.feature", "bad_input.feature")
        ),
        *("-f", "html-pretty", "-o", str(report)),
        report_dir=folder,
    )
    assert result.returncode == 0, result.output
    html = report.read_text("utf-8")
    return result.stdout, _text(html), html


def test_counts_equal_the_consoles(skipping: tuple[str, str, str]) -> None:
    """Features and scenarios passed, failed and skipped: the same numbers as behave's summary."""
    console, page, _ = skipping
    for kind in ("feature", "scenario"):
        said = re.search(rf"(\d+) {kind}s? passed, (\d+) failed, (\d+) skipped", console)
        assert said, console
        shown = f"{kind.capitalize()}s: {said[1]} passed, {said[2]} failed, {said[3]} skipped."
        assert shown in page, (shown, page[:400])


def test_every_skipped_feature_and_scenario_says_why(skipping: tuple[str, str, str]) -> None:
    """A feature the tags leave out, a feature whose scenarios a hook skips, and each of
    those scenarios carry their reason."""
    _, page, _ = skipping
    assert "Skipped: not selected by the tags (not @load)" in page, page
    cluster = page[page.index("Feature: One chat across many nodes") :]
    cluster = cluster[: cluster.index("Feature: ", 1)]
    header, scenarios = cluster.split("Passed:", 1)
    reason = "Skipped: needs a cluster: run with -D nodes=3"
    assert reason in header, header
    count = scenarios.count("Scenario: ")
    assert count >= 5 and scenarios.count(reason) == count, scenarios


def test_step_text_is_shown_as_written(skipping: tuple[str, str, str]) -> None:
    """JSON in a step is one run of text, quotes where the feature put them (not cut
    into bold pieces at its inner quotes); a plain quoted value is bold, whole."""
    _, _, html = skipping
    steps = unescape(html)
    for written in (
        'Alice sends the text "{"type":"',
        'Alice sends the text "{"type": "ECHO", "value": 3}"',
        'Alice is told "message has no "type""',
    ):
        assert f"<span>{written}</span>" in steps, written
    assert '<b>"hello"</b>' in steps


def test_header_names_target_and_versions(skipping: tuple[str, str, str]) -> None:
    """Each feature's header says which server was tested and with which versions: the
    server's own, as its handshake named it, first."""
    _, page, _ = skipping
    assert "Tested: 1 server, started by the suite" in page, page
    server = f"chat-server/{PROJECT_VERSION}"
    assert re.search(
        rf"Versions: server {re.escape(server)}, behave 1\.3\.\d+, wsharness .+, websockets \d",
        page,
    ), page


@pytest.mark.parametrize(
    ("header", "said"),
    [("team-b-chat/2.4.1", "team-b-chat/2.4.1"), (None, "not reported")],
    ids=["another team's server", "a server that names nothing"],
)
def test_any_server_is_named_as_its_handshake_names_it(header: str | None, said: str) -> None:
    """The harness reads the standard ``Server`` header of the handshake, whoever wrote
    the server; one that sends none is "not reported"."""
    with controlled_server(server_header=header) as server:
        target = Target(urls=(server.url,))
        software = check_target(target, None, timeout=5_000 * MS)
    line = target.reported(software).software_line()
    assert line == said
    assert versions(line).startswith(f"server {said}, behave ")


def test_a_failed_assertion_shows_message_then_conversation(tmp_path: Path) -> None:
    """Under a failed assertion: the message, then the conversation, then the transcript,
    and the traceback last and folded."""
    report = tmp_path / "report.html"
    result = run_behave(
        str(FAILING_FEATURES),
        *behave_duration("timeout", 500),
        *("-f", "html-pretty", "-o", str(report)),
        report_dir=tmp_path,
    )
    assert result.returncode == 1, result.output
    html = report.read_text("utf-8")
    captions = re.findall(r'class="embed-button ?(\w*)" id="[^"]+"[^>]*>([^<]+)<', html)
    assert captions[:4] == [
        ("", "Error Message"),
        ("", "The conversation"),
        ("", "What each person sent and received"),
        ("collapse", "Error Traceback"),
    ], captions


def test_a_run_stopped_early_counts_the_untested_as_the_console_does(tmp_path: Path) -> None:
    """The deployment breaks mid-run (the server the suite started is killed while
    Alice waits): the watch stops the run, and the summary counts the features and
    scenarios not run as "untested", the console's numbers."""
    report = tmp_path / "report.html"
    behave = subprocess.Popen(
        [
            *(sys.executable, "-m", "behave", "--no-color", "--no-capture"),
            *behave_duration("timeout", 60_000),
            *("-f", "html-pretty", "-o", str(report), "-f", "plain"),
            str(PROJECT_ROOT / "tests" / "fixtures" / "waits_forever.feature"),
            str(FEATURES / "echo.feature"),
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert behave.stdout is not None
    try:
        for line in behave.stdout:  # until Alice waits for what never comes
            if "Given Alice is connected ... passed" in line:
                break
        (server,) = psutil.Process(behave.pid).children()
        server.kill()
        console = behave.communicate(timeout=RUN_TIMEOUT)[0]
    finally:
        behave.kill()
        behave.wait()
    assert "ABORTED: the deployment broke" in console, console
    page = _text(report.read_text("utf-8"))
    for kind in ("feature", "scenario"):
        said = re.search(
            rf"^(\d+) {kind}s? passed, (\d+) failed, (\d+) skipped, (\d+) untested$", console, re.M
        )
        assert said and int(said[4]) > 0, console
        shown = re.search(
            rf"{kind.capitalize()}s: (\d+) passed, (\d+) failed, (\d+) skipped\.", page
        )
        assert shown and shown.groups() == said.groups()[:3], (said, page[:400])
        assert f"{said[4]} untested" in page[shown.start() : shown.start() + 200], page[:400]


def test_a_feature_with_a_server_of_its_own_names_that_server(tmp_path: Path) -> None:
    """The secured feature runs against the wss:// server its fixture starts, with a
    token: its HTML box, its JSON target and its JUnit properties say so, while the
    feature run against the run's plain server says ws://."""
    report = tmp_path / "report.html"
    junit = tmp_path / "junit"
    result = run_behave(
        str(FEATURES / "security.feature"),
        str(FEATURES / "echo.feature"),
        *("-f", "html-pretty", "-o", str(report), "--junit", "--junit-directory", str(junit)),
        report_dir=tmp_path,
    )
    assert result.returncode == 0, result.output
    (json_report,) = tmp_path.glob("behave-*.json")
    targets = {
        Path(feature["location"]).stem.split(".")[0]: feature["target"]
        for feature in json.loads(json_report.read_text("utf-8"))
    }
    assert targets["security"]["tls"].startswith("yes"), targets
    assert targets["security"]["token"].startswith("sent"), targets
    assert targets["security"]["servers"].startswith("wss://"), targets
    assert targets["echo"]["tls"] == "no (ws://)", targets
    assert targets["security"]["software"] == f"chat-server/{PROJECT_VERSION}", targets
    for name, tls in (("security", "yes"), ("echo", "no")):
        (xml,) = junit.glob(f"TESTS-*{name}.xml")
        assert re.search(rf'name="target.tls" value="{tls}', xml.read_text("utf-8")), name
    page = _text(report.read_text("utf-8"))
    secured = page[page.index("Feature: A chat that strangers can reach") :]
    secured = secured[: secured.index("Scenario:")]
    assert re.search(r"Tested: 1 server, started by the suite, for this run: wss://", secured), (
        secured
    )
    assert "TLS: yes" in secured and "token: sent" in secured, secured


def test_a_one_feature_run_opens_with_the_runs_summary(tmp_path: Path) -> None:
    """A rerun of one feature: the page still opens with the counts of features,
    scenarios and steps, the console's, and says the target and versions once, in
    its header, the library's version read from the checkout when not installed."""
    report = tmp_path / "report.html"
    result = run_behave(
        str(FEATURES / "echo.feature"),
        *("-f", "html-pretty", "-o", str(report)),
        report_dir=tmp_path,
    )
    assert result.returncode == 0, result.output
    html = report.read_text("utf-8")
    page = _text(html)
    header = _text(html[html.index('id="summary-global"') : html.index('class="feature-title')])
    for kind in ("feature", "scenario", "step"):
        said = re.search(rf"(\d+) {kind}s? passed, (\d+) failed, (\d+) skipped", result.stdout)
        assert said, result.stdout
        shown = f"{kind.capitalize()}s: {said[1]} passed, {said[2]} failed, {said[3]} skipped"
        assert shown in header, (shown, header)
    assert "Tested: 1 server, started by the suite" in header, header
    assert f"wsharness {PROJECT_VERSION}" in header, header
    assert page.count("Tested: ") == 1, page
    assert page.count("Versions: ") == 1, page
