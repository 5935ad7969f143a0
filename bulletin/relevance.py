"""Score whether an article reports a security case, from the phrase lists in data/relevance.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

MAX_COUNT = 3


@dataclass(frozen=True, slots=True)
class Rules:
    topic: tuple[tuple[re.Pattern[str], float], ...]
    case: tuple[re.Pattern[str], ...]


@cache
def load_rules() -> Rules:
    data = tomllib.loads(resources.files("bulletin").joinpath("data/relevance.toml").read_text("utf-8"))
    return Rules(
        topic=tuple((_compile(p), float(w)) for p, w in data["topic"].items()),
        case=tuple(_compile(p) for p in data["case"]),
    )


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)


def relevance(title: str, text: str, threshold: float, rules: Rules | None = None) -> tuple[bool, float]:
    """Return (relevant, score): the weighted topic score, and whether it is a case report."""
    rules = rules or load_rules()
    score = 0.0
    for pattern, weight in rules.topic:
        hits = min(len(pattern.findall(text)), MAX_COUNT) + 2 * min(len(pattern.findall(title)), 1)
        score += weight * hits
    is_case = any(p.search(text) or p.search(title) for p in rules.case)
    return (is_case and score >= threshold), round(score, 2)
