"""How much of a contract a run exercised: how often each message was sent and received and
each operation happened, and those never exercised.

A run writes its coverage as JSON (``-D contract_coverage=FILE``); CI adds up its runs' files
and fails if together they leave a message or operation unexercised::

    python -m wsharness.contract.coverage reports/coverage/*.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wsharness.contract.document import Contract, Direction
from wsharness.contract.frames import Verdict


@dataclass
class Coverage:
    """Counts for one contract, added to frame by frame."""

    contract: Contract
    counts: dict[Direction, Counter[str]] = field(
        default_factory=lambda: {"sent": Counter(), "received": Counter()}
    )
    outside: Counter[Direction] = field(default_factory=Counter)

    def count(self, direction: Direction, verdict: Verdict) -> None:
        """Count one frame: for each message it is, or as outside the contract."""
        if verdict.problem is not None:
            self.outside[direction] += 1
        counts = self.counts[direction]
        for name in verdict.matched:
            counts[name] += 1

    def to_json(self) -> dict[str, Any]:
        """The counts as JSON, which :func:`merge` adds up."""
        contract = self.contract
        return {
            "contract": str(contract.path),
            "title": contract.title,
            "messages": {
                name: {
                    "title": message.title,
                    "direction": _direction(contract, name),
                    "sent": self.counts["sent"][name],
                    "received": self.counts["received"][name],
                }
                for name, message in contract.messages.items()
            },
            "operations": {
                op.name: {
                    "action": op.action,
                    "count": sum(
                        self.counts["sent" if op.action == "receive" else "received"][name]
                        for name in op.messages
                    ),
                }
                for op in contract.operations
            },
            "outside": {"sent": self.outside["sent"], "received": self.outside["received"]},
        }


def _direction(contract: Contract, name: str) -> str:
    ways = [way for way in ("sent", "received") if name in getattr(contract, way)]
    return " and ".join(ways) or "neither"


def merge(reports: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Several runs' coverage of one contract, added up."""
    total: dict[str, Any] | None = None
    for report in reports:
        if total is None:
            total = json.loads(json.dumps(report))
            continue
        for table, keys in (("messages", ("sent", "received")), ("operations", ("count",))):
            for name, counts in report[table].items():
                entry = total[table].get(name)
                if entry is None:
                    total[table][name] = dict(counts)
                    continue
                for key in keys:
                    entry[key] = entry.get(key, 0) + counts.get(key, 0)
        for way in ("sent", "received"):
            total["outside"][way] += report["outside"][way]
    if total is None:
        raise ValueError("no coverage to add up")
    return total


def unexercised(report: dict[str, Any]) -> list[str]:
    """Each message and operation the report never saw, one line each."""
    lines = [
        f"message {name} ({entry['title']})"
        for name, entry in report["messages"].items()
        if entry["sent"] + entry["received"] == 0
    ]
    lines += [
        f"operation {name} ({entry['action']})"
        for name, entry in report["operations"].items()
        if entry["count"] == 0
    ]
    return lines


def describe(report: dict[str, Any]) -> str:
    """The report as a table for the console, the unexercised listed last."""
    lines = [f"Contract coverage of {report['contract']} ({report['title']}):"]
    lines.append(f"  {'sent':>7} {'received':>9}  message")
    for name, entry in report["messages"].items():
        lines.append(f"  {entry['sent']:>7} {entry['received']:>9}  {name}: {entry['title']}")
    lines.append(f"  {'count':>17}  operation")
    for name, entry in report["operations"].items():
        lines.append(f"  {entry['count']:>17}  {name} ({entry['action']})")
    outside = report["outside"]
    lines.append(
        f"  outside the contract (@breaks-contract): {outside['sent']} sent, "
        f"{outside['received']} received"
    )
    missing = unexercised(report)
    if missing:
        lines.append(f"  never exercised ({len(missing)}):")
        lines.extend(f"    {line}" for line in missing)
    else:
        lines.append("  every message and operation exercised")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Add up runs' contract coverage; fail if a message or operation is "
        "exercised by none of them."
    )
    parser.add_argument("reports", nargs="+", type=Path, help="coverage JSON files of the runs")
    args = parser.parse_args(argv)
    try:
        total = merge(json.loads(path.read_text(encoding="utf-8")) for path in args.reports)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"cannot add up the coverage: {exc}", file=sys.stderr)
        return 2
    print(f"{len(args.reports)} runs: {', '.join(str(path) for path in args.reports)}")
    print(describe(total))
    return 1 if unexercised(total) else 0


if __name__ == "__main__":
    sys.exit(main())
