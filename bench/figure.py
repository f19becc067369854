"""The one kind of figure every table prints: a value per round on each side of a comparison."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median


@dataclass
class Figure:
    """One figure measured on each side of a comparison in every round: ours and the
    ceiling, one node and the cluster, few and many messages held, each group size.

    Tables print the median of a side's rounds, the median of the per-round ratios of
    two sides (measured back to back, so the machine's drift cancels out), or a side's
    worst round, when the target must hold in every one.
    """

    name: str
    unit: str = ""
    higher_is_better: bool = False
    rounds: dict[str, list[float]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.unit})"

    def add(self, side: str, value: float) -> None:
        self.rounds.setdefault(side, []).append(float(value))

    def median(self, side: str) -> float:
        return median(self.rounds[side])

    def worst(self, side: str) -> float:
        return (min if self.higher_is_better else max)(self.rounds[side])

    def ratio(self, side: str, base: str) -> float:
        """Median over rounds of ``side`` ÷ ``base``."""
        pairs = zip(self.rounds[side], self.rounds[base], strict=True)
        return median([value / other for value, other in pairs])


def add_round(figures: Sequence[Figure], side: str, *values: float) -> None:
    """One round's value of each figure on ``side``, in the figures' order."""
    for figure, value in zip(figures, values, strict=True):
        figure.add(side, value)
