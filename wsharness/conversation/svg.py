"""A conversation as a self-contained SVG sequence diagram, drawn by hand so a report needs
nothing from the network nor at report time but Python: lifelines across the top, a band per
step, an arrow per frame, hover for whole texts, and what broke a step in red.
"""

from __future__ import annotations

import zlib
from xml.sax.saxutils import escape, quoteattr

from wsharness.conversation.model import Conversation, Lifeline, Row, shorten

COLUMN = 200  # pixels between two lifelines, at least
WIDTH = 1000  # pixels the lifelines spread across, at least: room for labels beside arrows
MARGIN = 16
ROW = 22
HEADER = 56
BAND_TITLE = 24
CHAR = 6.4  # a character's width at the font size, roughly, for shortening

STYLE = (
    ".conversation text{font-family:sans-serif;font-size:12px;fill:#222}"
    ".conversation .cv-life{stroke:#999;stroke-dasharray:4 3}"
    ".conversation .cv-box{fill:#eef3fb;stroke:#5b7db1}"
    ".conversation .cv-node .cv-box{fill:#f1f1f1;stroke:#777}"
    ".conversation .cv-crowd .cv-box{fill:#fdf6e3;stroke:#b58900}"
    ".conversation .cv-name{font-weight:bold;text-anchor:middle}"
    ".conversation .cv-band{fill:#f7f7f7}.conversation .cv-failed .cv-band{fill:#fde8e8}"
    ".conversation .cv-step-text{font-weight:bold}"
    ".conversation .cv-failed .cv-step-text{fill:#b00020}"
    ".conversation .cv-arrow{stroke:#333;stroke-width:1.2}"
    ".conversation .cv-row.cv-failed .cv-arrow{stroke:#d00000;stroke-width:2}"
    ".conversation .cv-missing .cv-arrow{stroke-dasharray:6 4}"
    ".conversation .cv-row.cv-failed text{fill:#b00020;font-weight:bold}"
    ".conversation .cv-label{text-anchor:middle}.conversation .cv-mark{fill:#555}"
    ".conversation .cv-proof text{fill:#2e7d32}"
    ".conversation .cv-more text{fill:#777;font-style:italic}"
)


def _defs(suffix: str) -> str:
    """Arrow heads with ids of this diagram's own: one shared with a folded diagram draws none."""
    return (
        "<defs>"
        + "".join(
            f'<marker id="{name}-{suffix}" viewBox="0 0 10 10" refX="10" refY="5" '
            f'markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto">'
            f'<path d="M0,0L10,5L0,10z" fill="{colour}"/></marker>'
            for name, colour in (("head", "#333"), ("red", "#d00000"))
        )
        + "</defs>"
    )


def render(conversation: Conversation) -> str:
    """The diagram as one ``<svg>`` element (valid inline in HTML and as a file)."""
    lines = conversation.lifelines
    column = max(COLUMN, (WIDTH - MARGIN * 2) // max(len(lines), 1))
    x = {line.key: MARGIN + column // 2 + index * column for index, line in enumerate(lines)}
    width = MARGIN * 2 + column * len(lines)
    suffix = f"{zlib.crc32(conversation.title.encode('utf-8', 'replace')):08x}"
    body: list[str] = []
    y = HEADER + 8
    for step in conversation.steps:
        top = y
        y += BAND_TITLE
        drawn = [
            _row(row, x, y + index * ROW, width, suffix) for index, row in enumerate(step.rows)
        ]
        y += ROW * len(step.rows) + 6
        words = f"{'✗ ' if step.failed else ''}{step.keyword} {step.text}"
        status = f" ({step.status})" if step.status not in ("passed", "failed") else ""
        body.append(
            f'<g class="cv-step{" cv-failed" if step.failed else ""}">'
            f'<rect class="cv-band" x="0" y="{top}" width="{width}" height="{y - top - 2}"/>'
            f'<text class="cv-step-text" x="6" y="{top + 16}">'
            f"<title>{escape(words)}</title>"
            f"{escape(shorten(words + status, int((width - 12) / CHAR)))}</text>"
            + "".join(drawn)
            + "</g>"
        )
    height = y + 8
    heads = "".join(_head(line, x[line.key], height) for line in lines)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="conversation" '
        f'data-status={quoteattr(conversation.status)} width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f"aria-label={quoteattr('Conversation: ' + conversation.title)}>"
        f"<title>{escape(conversation.title)}</title><style>{STYLE}</style>{_defs(suffix)}"
        + "".join(body)
        + heads
        + "</svg>"
    )


def _head(line: Lifeline, x: int, height: int) -> str:
    """A lifeline: its box with the name at the top, a dashed line down."""
    label = escape(shorten(line.label, int((COLUMN - 16) / CHAR)))
    hover = escape(f"{line.label}: {line.detail}" if line.detail else line.label)
    return (
        f'<g class="cv-lifeline cv-{line.kind}"><line class="cv-life" x1="{x}" y1="{HEADER}" '
        f'x2="{x}" y2="{height - 4}"/><rect class="cv-box" x="{x - COLUMN // 2 + 10}" y="8" '
        f'width="{COLUMN - 20}" height="{HEADER - 16}" rx="6"/>'
        f'<text class="cv-name" x="{x}" y="{HEADER // 2 + 4}">'
        f"<title>{hover}</title>{label}</text></g>"
    )


def _row(row: Row, x: dict[str, int], y: int, width: int, suffix: str) -> str:
    """One row: an arrow between a person and their node, a mark on a lifeline, or a
    note across the band."""
    css = f"cv-row cv-{row.kind}{' cv-failed' if row.failed else ''}"
    head = f"url(#{'red' if row.failed else 'head'}-{suffix})"
    hover = f"<title>{escape(row.full or row.words)}</title>" if (row.full or row.words) else ""
    if row.kind in ("sent", "received", "missing") and row.person in x and row.node in x:
        start, end = x[row.person], x[row.node]
        if row.kind != "sent":
            start, end = end, start
        times = f"{row.size} ×{row.count:,}" if row.count > 1 else row.size
        # Centred on its arrow, the label may run to the nearer edge of the diagram.
        room = 2 * min((start + end) // 2, width - (start + end) // 2) - 16
        fits = max(int(room / CHAR) - 2 - len(times), 16)
        label = escape(shorten(row.label, fits) + times)
        return (
            f'<g class="{css}">{hover}<line class="cv-arrow" x1="{start}" y1="{y + 12}" '
            f'x2="{end}" y2="{y + 12}" marker-end="{head}"/>'
            f'<text class="cv-label" x="{(start + end) // 2}" '
            f'y="{y + 8}">{label}</text></g>'
        )
    if row.kind in ("open", "close", "error") and row.person in x:
        at = x[row.person]
        return (
            f'<g class="{css}">{hover}<circle class="cv-mark" cx="{at}" cy="{y + 8}" r="4"/>'
            f'<text x="{at + 8}" y="{y + 12}">{escape(shorten(row.words, 40))}</text></g>'
        )
    if row.kind == "missing" and row.person in x:
        at = x[row.person]
        return (
            f'<g class="{css}">{hover}<text x="{at + 8}" y="{y + 12}">'
            f"expected: {escape(shorten(row.words, int((width - at) / CHAR) - 12))}</text></g>"
        )
    prefix = "✓ " if row.kind == "proof" else ("expected: " if row.kind == "missing" else "")
    text = escape(shorten(prefix + row.words, int((width - 40) / CHAR)))
    return f'<g class="{css}">{hover}<text x="24" y="{y + 12}">{text}</text></g>'
