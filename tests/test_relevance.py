"""The crawler's relevance rule against the dev set's gold flags."""

from __future__ import annotations

import json

from bulletin.relevance import anchors, relevance
from tests.conftest import FIXTURES

ARTICLES = FIXTURES / "articles"


def test_relevance_agrees_with_every_gold_flag_of_the_dev_set() -> None:
    gold = {
        json.loads(line)["id"]: json.loads(line)["relevant"]
        for line in (ARTICLES / "gold.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    }
    disagree = []
    for line in (ARTICLES / "input.jsonl").read_text("utf-8").splitlines():
        record = json.loads(line)
        relevant, score = relevance(record.get("title") or "", record["text"], threshold=3.0)
        if relevant != gold[record["id"]]:
            disagree.append((record["id"], score))
    assert disagree == []
    assert sum(gold.values()) > 10
    assert sum(not v for v in gold.values()) > 3


def test_commentary_without_a_case_word_is_not_a_case() -> None:
    text = "Espionage and state secrets are a growing concern, experts say, as spy agencies expand."
    relevant, score = relevance("Why espionage matters", text, 3.0)
    assert score >= 3.0
    assert not relevant


def test_anchors_are_literal_runs_a_match_must_contain() -> None:
    assert anchors("trade secrets?") == ("trade secret",)
    assert anchors("(state|military) secrets?") == ("secret",)
    assert anchors("(foreign|overseas) (intelligence|spy)") == ("foreign", "overseas")
    assert anchors("(a|the) (x|y)z?") == ()
    assert anchors("ministry of state security|mss") == ("ministry of state security", "mss")
