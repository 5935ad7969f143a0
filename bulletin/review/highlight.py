"""The article text cut into segments for display, each knowing which items' spans cover it.

Spans of different kinds overlap (a PERSON entity inside a penalty's evidence, a tactic's
sentence around an ORG), so instead of nesting marks the text is cut at every span boundary
and each segment carries the kinds and item numbers that cover it; the template colours a
segment by its most specific kind and underlines the others (displaCy's span style).
Subjects carry no offsets in the record: their mentions are found by name in the text.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from bulletin.corrections import Item

# When spans of several kinds cover one segment, the first of these gives its colour.
KIND_ORDER = ("subject", "penalty", "tactic", "law", "entity")


@dataclass(frozen=True, slots=True)
class Segment:
    start: int
    text: str
    kinds: tuple[str, ...] = ()  # e.g. ("penalty", "entity-PERSON")
    items: tuple[int, ...] = ()  # indexes into the item list

    @property
    def css(self) -> str:
        return " ".join(f"k-{kind}" for kind in self.kinds)


def subject_mentions(text: str, name: str) -> list[tuple[int, int]]:
    """Where a subject's name occurs: the full name, else its last word (a surname), whole words."""
    words = name.split()
    for needle in dict.fromkeys((name, words[-1] if words else name)):
        found: list[tuple[int, int]] = []
        at = text.find(needle) if needle else -1
        while at != -1:
            end = at + len(needle)
            before = text[at - 1] if at else " "
            after = text[end] if end < len(text) else " "
            if not before.isalnum() and not after.isalnum():
                found.append((at, end))
            at = text.find(needle, end)
        if found:
            return found
    return []


def segments(text: str, items: Sequence[Item]) -> list[Segment]:
    """``text`` cut at every boundary of the items' spans (and subjects' mentions)."""
    spans: list[tuple[int, int, str, int]] = []
    for index, item in enumerate(items):
        kind = f"entity-{item.value.get('label', '')}" if item.kind == "entity" else item.kind
        if item.kind == "subject":
            spans += [(s, e, kind, index) for s, e in subject_mentions(text, str(item.value.get("name", "")))]
        elif item.start is not None and item.end is not None and 0 <= item.start < item.end <= len(text):
            spans.append((item.start, item.end, kind, index))
    cuts = sorted({0, len(text), *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)})
    out = []
    for start, end in itertools.pairwise(cuts):
        covering = [(kind, index) for s, e, kind, index in spans if s <= start and end <= e]
        kinds = sorted({k for k, _ in covering}, key=lambda k: KIND_ORDER.index(k.split("-")[0]))
        out.append(Segment(start, text[start:end], tuple(kinds), tuple(sorted({i for _, i in covering}))))
    return out
