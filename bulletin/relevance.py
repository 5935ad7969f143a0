"""Score whether an article reports a security case, from the phrase lists in data/relevance.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

MAX_COUNT = 3


@dataclass(frozen=True, slots=True)
class Phrase:
    pattern: re.Pattern[str]
    weight: float
    anchors: tuple[str, ...]  # one of these substrings must occur for the pattern to match


@dataclass(frozen=True, slots=True)
class Rules:
    topic: tuple[Phrase, ...]
    case: re.Pattern[str]


@cache
def load_rules() -> Rules:
    data = tomllib.loads(resources.files("bulletin").joinpath("data/relevance.toml").read_text("utf-8"))
    return Rules(
        topic=tuple(Phrase(_compile(p), float(w), anchors(p)) for p, w in data["topic"].items()),
        case=_compile("|".join(f"(?:{p})" for p in data["case"])),
    )


def _compile(pattern: str) -> re.Pattern[str]:
    # Texts are case-folded before matching: cheaper than IGNORECASE.
    return re.compile(rf"\b(?:{pattern})\b")


def anchors(pattern: str) -> tuple[str, ...]:
    """Literal substrings, one per top-level alternative, that a match must contain.

    A regular expression scan costs far more than ``str.__contains__``; most phrases
    never occur in a given article, so checking their anchors first skips most scans.
    An alternative without a literal of 3+ letters outside brackets is anchored by its
    first required group of plain words (``(state|military) secrets`` -> any of those);
    failing that the pattern has no anchors and is always scanned.
    """
    found: list[str] = []
    for alternative in _top_level(pattern):
        # Groups, classes, escapes and optional characters may be absent or vary: they
        # split the alternative into the literal runs that must be there.
        literal = re.sub(r"\([^()]*\)[?*]?|\[[^\]]*\][?*]?|\\.|.[?*]", "\0", alternative)
        runs = [run.strip() for run in literal.split("\0")]
        best = max((run for run in runs if len(run) >= 3 and "(" not in run), key=len, default=None)
        if best is not None:
            found.append(best)
            continue
        group = re.match(r"\(([a-z0-9' |]+)\)(?![?*])", alternative)
        words = group.group(1).split("|") if group else []
        if not words or any(len(w) < 3 for w in words):
            return ()
        found.extend(words)
    return tuple(found)


def _top_level(pattern: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in pattern:
        depth += char == "("
        depth -= char == ")"
        if char == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def relevance(title: str, text: str, threshold: float, rules: Rules | None = None) -> tuple[bool, float]:
    """Return (relevant, score): the weighted topic score, and whether it is a case report."""
    rules = rules or load_rules()
    title, text = title.casefold(), text.casefold()
    score = 0.0
    for phrase in rules.topic:
        if phrase.anchors and not any(a in text or a in title for a in phrase.anchors):
            continue
        hits = min(len(phrase.pattern.findall(text)), MAX_COUNT) + 2 * min(
            len(phrase.pattern.findall(title)), 1
        )
        score += phrase.weight * hits
    is_case = bool(rules.case.search(text) or rules.case.search(title))
    return (is_case and score >= threshold), round(score, 2)
