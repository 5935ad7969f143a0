"""Candidate rules from what reviewers corrected: wording they added (or fixed) again and again.

``bulletin review --suggest-patterns`` feeds this the reviewed items: each is the words of
an item an analyst added or edited (the rules missed them) or rejected (the rules matched
them wrongly), with its kind and label. Words are tokenised as the pipeline tokenises them;
every run of 1-4 tokens that neither starts nor ends with a stop word or punctuation is
counted once per article, and a run seen in at least ``min_articles`` articles under the
same label is a candidate. A candidate inside a longer one seen as often is dropped. Each
comes as a token pattern in the shape of ``nlp/patterns/*.jsonl`` (numbers as
``LIKE_NUM``), for a person to judge before adding it: a suggestion, not a rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import spacy
from spacy.tokens import Token

MAX_TOKENS = 4


@dataclass(frozen=True, slots=True)
class Reviewed:
    """One reviewed item's words: ``action`` is add, edit or reject."""

    article: str
    kind: str  # tactic, penalty, law, entity, subject
    label: str
    action: str
    words: str


@dataclass
class Candidate:
    kind: str
    label: str
    phrase: str
    pattern: list[dict[str, Any]]
    why: str  # "missed" (added or edited by reviewers) or "wrong" (rejected)
    articles: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "pattern": self.pattern,
            "why": self.why,
            "articles": len(self.articles),
            "phrase": self.phrase,
        }


def _edge_ok(token: Token) -> bool:
    return not (token.is_stop or token.is_punct or token.is_space)


def _pattern(tokens: list[Token]) -> list[dict[str, Any]]:
    return [{"LIKE_NUM": True} if t.like_num else {"LOWER": t.lower_} for t in tokens]


def suggest_patterns(items: Iterable[Reviewed], min_articles: int = 2) -> list[Candidate]:
    """Candidates seen in at least ``min_articles`` articles, most frequent and longest first."""
    nlp = spacy.blank("en")
    found: dict[tuple[str, str, str, str], Candidate] = {}
    for item in items:
        why = "wrong" if item.action == "reject" else "missed"
        tokens = [t for t in nlp.make_doc(item.words) if not t.is_space]
        for size in range(1, MAX_TOKENS + 1):
            for start in range(len(tokens) - size + 1):
                run = tokens[start : start + size]
                if not (_edge_ok(run[0]) and _edge_ok(run[-1])):
                    continue
                pattern = _pattern(run)
                phrase = " ".join("#" if "LIKE_NUM" in p else p["LOWER"] for p in pattern)
                key = (item.kind, item.label, why, phrase)
                candidate = found.setdefault(key, Candidate(item.kind, item.label, phrase, pattern, why))
                if item.article not in candidate.articles:
                    candidate.articles.append(item.article)
    kept = [c for c in found.values() if len(c.articles) >= min_articles]
    by_group: dict[tuple[str, str, str], list[Candidate]] = defaultdict(list)
    for candidate in kept:
        by_group[candidate.kind, candidate.label, candidate.why].append(candidate)
    out = []
    for group in by_group.values():
        for candidate in group:
            longer = any(
                other is not candidate
                and len(other.articles) >= len(candidate.articles)
                and f" {candidate.phrase} " in f" {other.phrase} "
                for other in group
            )
            if not longer:
                out.append(candidate)
    out.sort(key=lambda c: (-len(c.articles), -len(c.pattern), c.kind, c.label, c.phrase))
    return out
