"""Every scenario's conversation, drawn and told, from real runs against the chat server.

behave runs a passing fixture (tests/fixtures/conversation/) and the failing one
(tests/fixtures/failing/) in its own process, with ``-D conversations=DIR``; the
tests read the standalone SVGs and the JUnit XML as CI would.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from tests.support import (
    CONVERSATION_FEATURES,
    FAILING_FEATURES,
    MS,
    PROJECT_ROOT,
    BehaveRun,
    behave_duration,
    run_behave,
)

SVG = "{http://www.w3.org/2000/svg}"


def _drawn(folder: Path, features: Path, *options: str) -> tuple[BehaveRun, Path]:
    """Run behave on ``features`` (and ``options``), diagrams into ``folder``."""
    conversations = folder / "conversations"
    result = run_behave(
        str(features),
        *("-D", f"conversations={conversations}"),
        *options,
        report_dir=folder,
    )
    return result, conversations


@pytest.fixture(scope="module")
def passing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of diagrams of the passing fixture's run."""
    result, conversations = _drawn(
        tmp_path_factory.mktemp("passing"), CONVERSATION_FEATURES, "-D", "load_clients=40"
    )
    assert result.returncode == 0, result.output
    return conversations


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The folders of diagrams and JUnit XML of the failing fixture's run."""
    folder = tmp_path_factory.mktemp("failing")
    junit = folder / "junit"
    result, conversations = _drawn(
        folder,
        FAILING_FEATURES,
        *behave_duration("timeout", 500),
        "--junit",
        f"--junit-directory={junit}",
    )
    assert result.returncode == 1, result.output
    return conversations, junit


def _texts_of(root: ElementTree.Element) -> list[str]:
    """Every text the diagram shows under ``root``, in order, without hover titles."""
    shown = []
    for text in root.iter(f"{SVG}text"):
        words = (text.text or "") + "".join(child.tail or "" for child in text)
        if words.strip():
            shown.append(words.strip())
    return shown


def _visible(svg: Path) -> str:
    return " | ".join(_texts_of(ElementTree.parse(svg).getroot()))


def test_one_diagram_per_scenario_named_after_feature_and_scenario(passing: Path) -> None:
    """The folder holds one standalone SVG per scenario, named feature--scenario."""
    names = sorted(path.name for path in passing.glob("*.svg"))
    assert names == [
        "conversation--a-crowd-is-one-lifeline.svg",
        "conversation--alice-and-bob-chat-in-the-book-club.svg",
        "conversation--many-posts-stay-one-screen.svg",
    ], names


def test_diagram_speaks_the_features_words(passing: Path) -> None:
    """People in order of appearance, then the server; steps as written; group names
    without the wire's suffix; requests in the scenario's words (the adapter's), the
    compact JSON they went as on hover; proofs folded into one mark."""
    shown = _visible(passing / "conversation--alice-and-bob-chat-in-the-book-club.svg")
    assert shown.startswith("Given Alice and Bob are connected"), shown
    assert shown.endswith("Alice | Bob | server"), shown  # the lifelines' heads
    assert "GROUP_CREATED: book club |" in shown, shown
    assert "CREATE_GROUP book club | GROUP_CREATED" in shown, shown
    assert "MESSAGE_GROUP book club: hello |" in shown, shown
    assert "And nobody hears anything else | ✓ proved: nothing else" in shown, shown
    whole = (passing / "conversation--alice-and-bob-chat-in-the-book-club.svg").read_text()
    assert '<title>CREATE_GROUP book club\n{"type":"CREATE_GROUP","value":"book club"}' in whole
    assert "[" not in whole.replace("[data", ""), "a unique suffix is left"
    assert not re.search(r"proof [0-9a-f]{8}", whole), "a round trip of a proof is drawn"


def test_big_conversation_stays_one_screen(passing: Path) -> None:
    """300 posts heard by two people: a few rows with a count, a small file."""
    svg = passing / "conversation--many-posts-stay-one-screen.svg"
    shown = _visible(svg)
    counts = [int(count.replace(",", "")) for count in re.findall(r"×([\d,]+)", shown)]
    # 300 posts sent, 300 heard by each of two: a row each, or two where a run was
    # split between the step that sent and the step that heard
    assert sum(counts) == 900 and len(counts) <= 6, shown
    assert svg.stat().st_size < 20_000, svg.stat().st_size
    height = int(ElementTree.parse(svg).getroot().get("height", "0"))
    assert height < 900, height


def test_a_label_uses_the_width_the_diagram_has(passing: Path) -> None:
    """A post of 1 KB is shortened to what the diagram has room for beside its arrow,
    well past the arrow's own length, and a short post is whole."""
    posts = _visible(passing / "conversation--many-posts-stay-one-screen.svg").split(" | ")
    label = next(text for text in posts if text.startswith("MESSAGE_GROUP book club: "))
    assert len(label) >= 100, label
    crowd = _visible(passing / "conversation--a-crowd-is-one-lifeline.svg")
    assert "MESSAGE_GROUP town hall: Doors open in five minutes |" in crowd, crowd


def test_a_crowd_is_one_lifeline(passing: Path) -> None:
    """Forty guests are one lifeline beside Alice's, their like frames one row each
    (the joins, which the step waits for, all in its band)."""
    shown = _visible(passing / "conversation--a-crowd-is-one-lifeline.svg")
    assert shown.endswith("Alice | 40 people | server"), shown
    assert "opens ×40" in shown and "GROUP_JOINED: town hall ×40" in shown, shown


def test_failing_diagram_marks_the_message_and_the_step(failing: tuple[Path, Path]) -> None:
    """Bob's unexpected 'hello' is red, the failed step is marked, and what did not
    come is a dashed arrow that says so."""
    conversations, _ = failing
    root = ElementTree.parse(conversations / "diagnostics--bob-waits-for-a-word-nobody-said.svg")
    groups = list(root.getroot().iter(f"{SVG}g"))
    red = [g for g in groups if {"cv-row", "cv-failed"} <= set(g.get("class", "").split())]
    red_texts = [" ".join(_texts_of(g)) for g in red]
    missing = f"Bob did not receive 'goodbye' within {500 * MS:g} s"
    assert red_texts == ["hello", missing], red_texts
    bands = [" ".join(_texts_of(g)) for g in groups if g.get("class") == "cv-step cv-failed"]
    assert len(bands) == 1 and bands[0].startswith('✗ Then Bob hears "goodbye"'), bands


def test_failed_junit_case_tells_the_conversation(failing: tuple[Path, Path]) -> None:
    """A failed test case's system-out starts with the conversation in the diagram's words."""
    _, junit = failing
    (report,) = junit.glob("*.xml")
    cases = {
        case.get("name"): case for case in ElementTree.parse(report).getroot().iter("testcase")
    }
    out = cases["Bob waits for a word nobody said"].findtext("system-out") or ""
    conversation = out[out.index("Conversation:") :].split("\n\n")[0]
    assert "Alice → server: CREATE_GROUP book club\n" in conversation, conversation
    assert "    Bob ← server: hello   <-- unexpected" in conversation, conversation
    assert "    Alice ← server: hello\n" in conversation, conversation
    assert '✗ Then Bob hears "goodbye"   <-- FAILED' in conversation, conversation
    assert "!! the step failed: Bob did not receive 'goodbye'" in conversation, conversation
    assert "[" not in conversation, conversation


def test_diagrams_off_draws_none(tmp_path: Path) -> None:
    """``-D diagrams=off`` (for measuring their cost) draws no diagram; a value that is
    neither on nor off stops the run in one line."""
    result, conversations = _drawn(tmp_path, CONVERSATION_FEATURES, "-D", "diagrams=off")
    assert result.returncode == 0, result.output
    assert not conversations.exists()
    wrong, _ = _drawn(tmp_path / "wrong", CONVERSATION_FEATURES, "-D", "diagrams=maybe")
    assert "bad setting: diagrams must be on or off, not 'maybe'" in wrong.stderr, wrong.output


def test_the_suites_biggest_conversations_stay_one_screen(tmp_path: Path) -> None:
    """The flood's 10,000 triple echoes and the 1 MiB echo: a few rows, one screen, the
    big message's size said."""
    features = PROJECT_ROOT / "features"
    result, conversations = _drawn(
        tmp_path,
        features,
        *("--name", "During a flood from one person", "--name", "exactly the size limit"),
    )
    assert result.returncode == 0, result.output
    flood = (
        conversations / "security--during-a-flood-from-one-person-the-others-are-still-answered.svg"
    )
    shown = _visible(flood)
    assert "×10,000" in shown, shown  # every request of the flood, one row
    replies = [
        int(n) for n in re.findall(r"(?:^|\| )flood … x+… ×([\d,]+)", shown.replace(",", ""))
    ]
    assert sum(replies) == 30_000 and len(replies) <= 4, shown
    height = int(ElementTree.parse(flood).getroot().get("height", "0"))
    assert height < 900, height
    echo = _visible(conversations / "bad-input--a-message-of-exactly-the-size-limit-is-fine.svg")
    assert echo.count("(1,048,576 characters)") == 1, echo
