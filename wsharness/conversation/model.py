"""A scenario's conversation, built from what each person's client recorded.

The harness sees what people sent and received, not what servers said to each other: one
lifeline per person and per node someone was connected to, a row per frame, open and close,
grouped by step. Protocol-neutral: the caller puts names back as the feature wrote them, and
a proof of silence is recognised by its :data:`PROOF_TOKEN`. Big conversations stay one
screen: like frames share a row with a count, a crowd shares a lifeline, and a step keeps
at most :data:`ROWS_PER_STEP` rows.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from wsharness.records import Data, Event, Received, describe_url

PROOF_PREFIX = "proof "
"""How a round trip's proof of silence starts; 32 hex digits follow (``send_probe``)."""

PROOF_TOKEN = re.compile(re.escape(PROOF_PREFIX) + r"[0-9a-f]{32}")
PROOF_SEARCH = 200  # how far into a frame the proof token is looked for

LABEL_LENGTH = 120  # characters of a message a row shows at most; the rest is on hover
HOVER_LENGTH = 4096  # characters of a message the hover text keeps
SHAPE_LENGTH = 120  # how much of a frame's start decides whether frames are alike
PEOPLE_SHOWN = 5  # people drawn with a lifeline each; the rest of a crowd share one
INTERLEAVED = 3  # other runs that may interleave with a run of like frames on one row
ROWS_PER_STEP = 40  # rows a step keeps: its first and last, with a count between

_DIGITS = re.compile(r"\d+")

RowKind = Literal["sent", "received", "open", "close", "error", "proof", "missing", "more"]


@dataclass(frozen=True)
class Lifeline:
    """A person, a crowd of people drawn as one, or a server node."""

    key: str
    label: str
    kind: Literal["person", "crowd", "node"]
    detail: str = ""
    """The node's URL (without a token), or who a crowd is."""


@dataclass(slots=True)
class Row:
    """One line of the diagram: a frame (or a run of like frames), an open or close, a
    folded proof, a message that did not come, or a count of rows left out."""

    kind: RowKind
    person: str  # the person's (or crowd's) lifeline key; empty for a row across the step
    node: str  # the lifeline key of the node the person is connected to
    label: str
    full: str = ""  # the hover text
    count: int = 1
    failed: bool = False  # the message that broke the step (red)
    at: float = 0.0
    key: str = ""  # what makes rows alike (:func:`shape`)
    data: Data | None = None  # the frame, until the row is described (only drawn rows are)
    varied: bool = False  # a run whose frames differ in their numbers, which the label blurs
    size: str = ""  # a big frame's size, " (1,048,576 characters)", after its label

    @property
    def words(self) -> str:
        """The row in words, as the text rendering and the diagram both say it."""
        times = f" ×{self.count:,}" if self.count > 1 else ""
        return f"{self.label}{self.size}{times}"


@dataclass
class Step:
    """A step of the scenario with the rows that happened during it."""

    keyword: str
    text: str
    status: str
    rows: list[Row] = field(default_factory=list)
    note: str | None = None
    """What was expected and did not come, or why the step failed."""

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "error")


@dataclass
class Conversation:
    """Everything a renderer needs, in the scenario's own words."""

    title: str
    status: str
    people: list[Lifeline]
    nodes: list[Lifeline]
    steps: list[Step]

    @property
    def lifelines(self) -> list[Lifeline]:
        return [*self.people, *self.nodes]


@dataclass(frozen=True)
class StepTiming:
    """A step as it ran: its words, start and end (``time.monotonic``), status and error."""

    keyword: str
    text: str
    started: float | None
    ended: float | None
    status: str
    error: str | None = None


@dataclass(frozen=True)
class Voice:
    """One person's record; ``unexpected``: the arrival numbers of messages no step
    accounted for when a step failed."""

    name: str
    url: str
    node: int
    events: Sequence[Event | Received]
    unexpected: frozenset[int] = frozenset()


def build(
    title: str,
    status: str,
    voices: Sequence[Voice],
    node_urls: Sequence[str],
    steps: Sequence[StepTiming],
    *,
    as_written: Callable[[str], str] = lambda text: text,
    words_for: Callable[[Data], str | None] = lambda frame: None,
) -> Conversation:
    """The conversation of one scenario; ``as_written`` turns a name on the wire back into
    the feature's words, ``words_for`` says a frame in the scenario's (None: as it is)."""
    lifeline_of = _lifelines(voices)
    people, nodes = _people(voices, lifeline_of), _nodes(voices, node_urls)
    bands = [Step(timing.keyword, as_written(timing.text), timing.status) for timing in steps]
    notes = [_reason(_printable(as_written(t.error))) if t.error else None for t in steps]
    blamed = next((_named(note, voices) for note in notes if note is not None), None)
    starts = [timing.started for timing in steps if timing.started is not None]
    rows: list[tuple[int, float, int, Row]] = []
    for index, voice in enumerate(voices):
        # The message that broke the step: one the person the failure names did not
        # account for (anyone's, when it names no one).
        red = voice.unexpected if blamed in (None, index) else frozenset()
        for step, row in _rows(voice, red, lifeline_of[index], f"n{voice.node}", starts):
            rows.append((step, row.at, len(rows), row))
    rows.sort()  # by step, then time; ties in the order recorded
    if bands:
        for step, _, _, row in rows:
            bands[step].rows.append(row)
    for band, note in zip(bands, notes, strict=True):
        band.rows = _limited(_runs(_fold_proofs(band.rows)))
        for row in band.rows:
            _describe_row(row, as_written, words_for)
        if band.failed and note is not None:
            _mark_failure(band, note, voices, lifeline_of)
    return Conversation(title, status, people, nodes, bands)


def _people(voices: Sequence[Voice], lifeline_of: Sequence[str]) -> list[Lifeline]:
    """A lifeline per person, and one for the crowd if there is one."""
    people = [
        Lifeline(key, voice.name, "person", describe_url(voice.url))
        for key, voice in zip(lifeline_of, voices, strict=True)
        if key != "crowd"
    ]
    crowd = [voice for key, voice in zip(lifeline_of, voices, strict=True) if key == "crowd"]
    if crowd:
        who = ", ".join(voice.name for voice in crowd[:5]) + (", …" if len(crowd) > 5 else "")
        people.append(Lifeline("crowd", f"{len(crowd):,} people", "crowd", who))
    return people


def _nodes(voices: Sequence[Voice], node_urls: Sequence[str]) -> list[Lifeline]:
    """A lifeline per node someone is connected to ("server" when there is one)."""
    several = len(node_urls) > 1
    return [
        Lifeline(
            f"n{node}",
            f"node {node + 1}" if several else "server",
            "node",
            describe_url(node_urls[node]) if node < len(node_urls) else "",
        )
        for node in sorted({voice.node for voice in voices})
    ]


def _mark_failure(
    band: Step, note: str, voices: Sequence[Voice], lifeline_of: Sequence[str]
) -> None:
    """The failed step's reason, as a note and a red row for what did not come."""
    band.note = note
    named = _named(note, voices)
    person = lifeline_of[named] if named is not None else ""
    node = f"n{voices[named].node}" if named is not None else ""
    label = shorten(note.split("; ")[0], LABEL_LENGTH * 2)
    band.rows.append(Row("missing", person, node, label, note[:HOVER_LENGTH], failed=True))


def _rows(
    voice: Voice, red: frozenset[int], person: str, node: str, starts: Sequence[float]
) -> list[tuple[int, Row]]:
    """A person's transcript as rows, each with its step; received messages numbered in
    ``red`` are marked failed, and a frame repeating the last row's counts on that row."""
    rows: list[tuple[int, Row]] = []
    arrived = 0
    for event, step in zip(voice.events, _steps_of(voice.events, starts), strict=True):
        data = event.data
        if event.kind in ("sent", "received") and data is not None:
            failed = event.kind == "received" and arrived in red
            if event.kind == "received":
                arrived += 1
            if not failed and _repeats(rows, step, event.kind, data):
                rows[-1][1].count += 1
                continue
            if isinstance(data, str) and PROOF_TOKEN.search(data, 0, PROOF_SEARCH):
                # folded later: the label keeps the direction
                rows.append((step, Row("proof", person, node, event.kind, at=event.at)))
                continue
            row = Row(event.kind, person, node, "", failed=failed, at=event.at, data=data)
        elif event.kind == "open":
            row = Row("open", person, node, "opens", at=event.at)
        else:
            text = event.detail or event.kind
            label = f"closed, {text}" if event.kind == "close" else text
            row = Row(event.kind, person, node, shorten(label, LABEL_LENGTH), text, at=event.at)
        rows.append((step, row))
    return rows


def _repeats(rows: list[tuple[int, Row]], step: int, kind: str, data: Data) -> bool:
    """Whether a frame is the last row's again, in the same step and direction."""
    if not rows:
        return False
    last_step, last = rows[-1]
    return last_step == step and not last.failed and last.kind == kind and last.data == data


def _printable(text: str) -> str:
    """``text`` that any report can encode: a lone surrogate (as a JSON escape can
    make) is shown escaped, ``\\ud800``."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def shorten(text: str, length: int) -> str:
    """``text`` on one line, at most ``length`` characters, cut with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= length else line[: length - 1] + "…"


def shape(row: Row) -> str:
    """What rows of a run have in common: kind, person and the start of the frame
    with its numbers blurred, so a flood of numbered echoes is one run."""
    if isinstance(row.data, bytes):
        text = f"binary {len(row.data)}"
    else:
        text = _blurred((row.data or row.label)[: SHAPE_LENGTH * 2])
    return f"{row.kind}|{row.person}|{row.node}|{text}"


@functools.lru_cache(maxsize=1024)
def _blurred(head: str) -> str:
    """A frame's start with its numbers blurred, before it is cut, so "flood 9 xxx" and
    "flood 10 xxx" stay alike (remembered: a post reaches every member alike)."""
    return _DIGITS.sub("#", head)[:SHAPE_LENGTH]


def _describe_row(
    row: Row, as_written: Callable[[str], str], words_for: Callable[[Data], str | None]
) -> None:
    """Give a frame's row its label (the scenario's words, else compact JSON) and hover
    text (the words, then the frame); a varied run's numbers are blurred."""
    data = row.data
    if data is None:
        return
    if len(data) > HOVER_LENGTH * 4:
        unit = "bytes" if isinstance(data, bytes) else "characters"
        row.size = f" ({len(data):,} {unit})"
    if isinstance(data, bytes):
        row.label = f"binary, {len(data):,} bytes"
        row.full = f"{row.label}: {data[:64].hex(' ')}"
    else:
        text = as_written(_printable(_compact(data[: HOVER_LENGTH * 4])))
        words = words_for(data)
        if words is not None:
            words = as_written(_printable(words[: HOVER_LENGTH * 4]))
            text = f"{words}\n{text}" if words != text else text
        row.full = (text if len(text) <= HOVER_LENGTH else text[:HOVER_LENGTH] + "…") + row.size
        row.label = shorten(text if words is None else words, LABEL_LENGTH)
    if row.varied:
        row.label = _DIGITS.sub("…", row.label)
        row.full = f"{row.full[:200]} (and more like it)"
    row.data = None


def _compact(text: str) -> str:
    """JSON as compact as it gets (no spaces); any other text as it is."""
    if not text.lstrip().startswith(("{", "[")):
        return text
    try:
        document = json.loads(text)
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to redo
        return text


def _steps_of(events: Sequence[Event | Received], starts: Sequence[float]) -> Iterator[int]:
    """The step of each event, walking the events and the steps together in time order."""
    step = 0
    for event in events:
        at = event.at
        if step and at < starts[step]:  # out of order: the last step started by then
            step = max(bisect.bisect_right(starts, at) - 1, 0)
        while step + 1 < len(starts) and starts[step + 1] <= at:
            step += 1
        yield step


def _fold_proofs(rows: list[Row]) -> list[Row]:
    """Every round trip that proved silence in a step, as one mark where the first was."""
    proofs = [row for row in rows if row.kind == "proof"]
    if not proofs:
        return rows
    trips = sum(1 for row in proofs if row.label == "sent") or 1
    mark = Row(
        "proof",
        "",
        "",
        "proved: nothing else",
        f"{trips} round trip{'s' if trips != 1 else ''} proved nothing else was on its way",
        at=proofs[0].at,
    )
    return [
        mark if row is proofs[0] else row for row in rows if row.kind != "proof" or row is proofs[0]
    ]


def _runs(rows: list[Row]) -> list[Row]:
    """Runs of like frames (:func:`shape`) as one row with a count, also when up to
    :data:`INTERLEAVED` other runs interleave with it (two people hearing one stream)."""
    merged: list[Row] = []
    for row in rows:
        row.key = shape(row)
        alike = None
        if row.kind in ("sent", "received", "open", "close"):
            for earlier in reversed(merged[-(INTERLEAVED + 2) :]):
                if earlier.kind == "proof":
                    continue  # a proof's mark, drawn once, does not end a run
                if earlier.failed or earlier.kind not in ("sent", "received", "open", "close"):
                    break
                if earlier.key == row.key and not row.failed:
                    alike = earlier
                    break
        if alike is None:
            merged.append(row)
            continue
        alike.count += row.count
        if alike.data != row.data or alike.label != row.label:
            alike.varied = True
    return merged


def _limited(rows: list[Row]) -> list[Row]:
    """At most :data:`ROWS_PER_STEP` rows: the first and last, a count of those between
    (a failed row is always kept)."""
    if len(rows) <= ROWS_PER_STEP:
        return rows
    head, tail = rows[: ROWS_PER_STEP // 2], rows[-(ROWS_PER_STEP // 4) :]
    middle = rows[len(head) : len(rows) - len(tail)]
    kept = [row for row in middle if row.failed][: ROWS_PER_STEP // 4]
    left_out = sum(row.count for row in middle) - sum(row.count for row in kept)
    more = Row("more", "", "", f"… {left_out:,} more frames …", at=middle[0].at)
    return [*head, more, *kept, *tail]


def _lifelines(voices: Sequence[Voice]) -> list[str]:
    """Each person's lifeline key: their own, or ``crowd`` past :data:`PEOPLE_SHOWN` people
    for those named in a series ("Guest 1", "Guest 2", "Guest 3") and those beyond."""
    if len(voices) <= PEOPLE_SHOWN:
        return [f"p{index}" for index in range(len(voices))]
    series = [_DIGITS.sub("#", voice.name) for voice in voices]
    alike = Counter(series)
    keys = []
    shown = 0
    for index, name in enumerate(series):
        if alike[name] >= 3 or shown >= PEOPLE_SHOWN:
            keys.append("crowd")
        else:
            keys.append(f"p{index}")
            shown += 1
    return keys


def _named(note: str, voices: Sequence[Voice]) -> int | None:
    """The index of the person a failure starts with (the longest: "Bob at node 2", not "Bob")."""
    named = [
        i for i, voice in enumerate(voices) if note.startswith((f"{voice.name} ", f"{voice.name}'"))
    ]
    return max(named, key=lambda i: len(voices[i].name), default=None)


def _reason(error: str) -> str:
    """A step's error in a few words: its first lines, without behave's prefix."""
    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    if lines and lines[0].startswith("Traceback"):
        lines = lines[-1:]  # an error's traceback: its last line says what it was
    text = " ".join(lines[:3])
    return text.removeprefix("Assertion Failed: ").removeprefix("ASSERT FAILED: ")
