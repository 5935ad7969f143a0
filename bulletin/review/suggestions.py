"""What reviewers corrected, as input for ``nlp.suggest`` (``bulletin review --suggest-patterns``)."""

from __future__ import annotations

from collections.abc import Iterator

from bulletin.corrections import Correction
from bulletin.store import Store
from nlp.suggest import Candidate, Reviewed, suggest_patterns

# Which words of an item carry its wording.
_WORDS = {"tactic": "evidence", "penalty": "evidence", "law": "text", "entity": "text", "subject": "name"}


def _reviewed(article_id: int, c: Correction) -> Reviewed | None:
    item = c.before if c.action == "reject" else c.value
    if c.kind not in _WORDS or item is None or c.action == "accept":
        return None
    words = str(item.get(_WORDS[c.kind]) or "")
    before = c.before or {}
    if (
        c.action == "edit"
        and before.get(_WORDS[c.kind]) == words
        and c.kind != "penalty"
        and before.get("label") == item.get("label")
    ):
        return None  # the same words kept: nothing about wording to learn
    label = str(item.get("kind") if c.kind == "penalty" else item.get("label", c.kind))
    return Reviewed(str(article_id), c.kind, label, c.action, words) if words.strip() else None


def reviewed_wording(store: Store) -> Iterator[Reviewed]:
    for article_id, correction in store.all_corrections():
        item = _reviewed(article_id, correction)
        if item is not None:
            yield item


def suggestions(store: Store, min_articles: int = 2) -> list[Candidate]:
    return suggest_patterns(reviewed_wording(store), min_articles)
