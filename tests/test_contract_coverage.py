"""Adding up runs' contract coverage: each run's counts once, whatever the runs list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wsharness.contract.coverage import main, merge


def _report(messages: dict[str, tuple[int, int]], operations: dict[str, int]) -> dict[str, Any]:
    return {
        "contract": "docs/asyncapi.yaml",
        "title": "Chat",
        "messages": {
            name: {"title": name, "direction": "sent", "sent": sent, "received": received}
            for name, (sent, received) in messages.items()
        },
        "operations": {
            name: {"action": "receive", "count": count} for name, count in operations.items()
        },
        "outside": {"sent": 1, "received": 0},
    }


def test_counts_of_the_same_names_are_added() -> None:
    total = merge(
        [_report({"echo": (2, 0)}, {"askEcho": 2}), _report({"echo": (3, 1)}, {"askEcho": 3})]
    )
    assert total["messages"]["echo"]["sent"] == 5
    assert total["messages"]["echo"]["received"] == 1
    assert total["operations"]["askEcho"]["count"] == 5
    assert total["outside"] == {"sent": 2, "received": 0}


def test_a_name_first_seen_in_a_later_run_counts_once() -> None:
    """A later run of a newer contract lists a message the first did not."""
    total = merge(
        [_report({"echo": (1, 0)}, {}), _report({"echo": (1, 0), "ping": (4, 0)}, {"sendPing": 4})]
    )
    assert total["messages"]["ping"]["sent"] == 4
    assert total["operations"]["sendPing"]["count"] == 4
    assert total["messages"]["echo"]["sent"] == 2


def test_the_first_report_is_not_changed() -> None:
    first = _report({"echo": (1, 0)}, {"askEcho": 1})
    merge([first, _report({"echo": (1, 0)}, {"askEcho": 1})])
    assert first["messages"]["echo"]["sent"] == 1


def test_the_command_fails_while_something_is_unexercised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = []
    for index, report in enumerate(
        [_report({"echo": (1, 0), "ping": (0, 0)}, {"askEcho": 1}), _report({"echo": (1, 0)}, {})]
    ):
        files.append(tmp_path / f"run{index}.json")
        files[-1].write_text(json.dumps(report), encoding="utf-8")
    assert main([str(path) for path in files]) == 1
    assert "never exercised (1):\n    message ping (ping)" in capsys.readouterr().out
