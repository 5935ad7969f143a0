"""Count tactics per period and lay out the bar chart the templates draw (SVG in HTML, text elsewhere)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bulletin.records import Case
from digest.filters import TACTIC_WORDS, tactic_words

logger = logging.getLogger(__name__)

# Geometry of the SVG chart, in pixels. Kept narrow enough for a phone-width mail pane.
WIDTH = 600
LABEL_RIGHT = 190  # labels are right-aligned against this x
BAR_LEFT = 198
BAR_MAX = 250
ROW = 30
TOP = 26  # room for the legend


@dataclass(frozen=True, slots=True)
class TacticRow:
    """One tactic's case counts this period and the previous one, with its bar geometry."""

    label: str
    words: str
    current: int
    previous: int
    y: int
    current_width: int
    previous_width: int

    @property
    def change(self) -> int:
        return self.current - self.previous


@dataclass(frozen=True, slots=True)
class TacticChart:
    rows: tuple[TacticRow, ...]
    largest: int
    width: int = WIDTH
    label_right: int = LABEL_RIGHT
    bar_left: int = BAR_LEFT
    row_height: int = ROW

    @property
    def height(self) -> int:
        return TOP + ROW * len(self.rows) + 4


def case_tactics(case: Case) -> list[str]:
    """The distinct tactic labels of a case, in first-mention order."""
    return list(dict.fromkeys(f.label for f in case.extraction.tactics))


def tactic_chart(cases: Iterable[Case], previous: Iterable[Case]) -> TacticChart:
    """Cases per tactic now and before; most frequent first, then taxonomy order, then by name."""
    now = Counter(label for case in cases for label in case_tactics(case))
    before = Counter(label for case in previous for label in case_tactics(case))
    order = {label: i for i, label in enumerate(TACTIC_WORDS)}
    labels = sorted(
        now.keys() | before.keys(),
        key=lambda label: (-now[label], -before[label], order.get(label, len(order)), label),
    )
    largest = max([*now.values(), *before.values(), 1])
    rows = tuple(
        TacticRow(
            label=label,
            words=tactic_words(label),
            current=now[label],
            previous=before[label],
            y=TOP + ROW * i,
            current_width=_width(now[label], largest),
            previous_width=_width(before[label], largest),
        )
        for i, label in enumerate(labels)
    )
    return TacticChart(rows=rows, largest=largest)


def _width(count: int, largest: int) -> int:
    # A non-zero count always gets a visible sliver, so "1" never looks like "0".
    return max(2, round(count / largest * BAR_MAX)) if count else 0
