"""A conversation as plain text, in the words of its diagram: for a JUnit test case's
``system-out`` and a console, where no picture fits."""

from __future__ import annotations

from wsharness.conversation.model import Conversation, Row
from wsharness.records import ARROWS

MARKS = {"passed": "✓", "failed": "✗", "error": "✗", "skipped": "-", "untested": "-"}


def render(conversation: Conversation) -> str:
    """The conversation, step by step, one line per row of the diagram."""
    names = {line.key: line.label for line in conversation.lifelines}
    people = ", ".join(line.label for line in conversation.people)
    nodes = ", ".join(f"{line.label} ({line.detail})" for line in conversation.nodes)
    lines = [
        f"Conversation: {conversation.title} ({conversation.status})",
        f"  people: {people}; {nodes}",
    ]
    for step in conversation.steps:
        failed = "   <-- FAILED" if step.failed else ""
        mark = MARKS.get(step.status, "?")
        lines.append(f"{mark} {step.keyword} {step.text}{failed}")
        lines.extend(f"    {_line(row, names)}" for row in step.rows)
    return "\n".join(lines)


def _line(row: Row, names: dict[str, str]) -> str:
    """One row: who, which way, what; a red row says it broke the step."""
    who, node = names.get(row.person, ""), names.get(row.node, "")
    if row.kind == "missing":
        return f"!! the step failed: {row.full}"
    if row.kind in ("proof", "more"):
        text = f"· {row.words}"
    else:
        text = f"{who} {ARROWS.get(row.kind, '·')} {node}: {row.words}"
    if row.failed:
        text += "   <-- unexpected"
    return text
