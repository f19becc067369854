"""Put the diagnostics of a failing step wherever someone will read the failure.

behave has no single channel that reaches every report, so one text goes four ways:
printed (the console, and JUnit's ``<system-out>``), :meth:`behave.runner.Context.attach`
(behave's JSON report), behave-html-pretty-formatter's own ``embed`` (which ignores
``attach``), and, under behavex, a file in the scenario's evidence folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from behave.runner import Context

CAPTION = "What each person sent and received"
"""The caption of the transcript in the HTML report."""

EVIDENCE_FILE = "what-each-person-sent-and-received.txt"
"""The transcript's file name among a scenario's evidence under behavex."""

HTML_FORMATTER = "html-pretty"
"""The name behave-html-pretty-formatter registers its formatter under."""


class _Embedder(Protocol):
    def embed(
        self, mime_type: str, data: str, caption: str | None = None, *, compress: bool = ...
    ) -> Any: ...


def publish(context: Context, text: str) -> None:
    """Show ``text`` with the current (failing) step on the console and in every report."""
    print(text)
    context.attach("text/plain", text.encode("utf-8"))
    for formatter in html_formatters(context):
        formatter.embed("text/plain", text, caption=CAPTION)
    if getattr(context, "bhx_inside_scenario", False):
        evidence = Path(context.evidence_path) / EVIDENCE_FILE
        evidence.write_text(text + "\n", encoding="utf-8")


def html_formatters(context: Context) -> list[_Embedder]:
    """The HTML-pretty formatters of this run (none unless ``-f html-pretty`` was given)."""
    runner = getattr(context, "_runner", None)
    formatters = getattr(runner, "formatters", None) or []
    return [
        formatter
        for formatter in formatters
        if getattr(formatter, "name", None) == HTML_FORMATTER and hasattr(formatter, "embed")
    ]
