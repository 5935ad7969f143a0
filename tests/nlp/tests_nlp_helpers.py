"""Paths and readers shared by the NLP tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ARTICLES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"
HOLDOUT = Path(__file__).resolve().parents[1] / "fixtures" / "holdout"
# Scored only, as a regression guard; never read when writing rules.
BLIND = Path(__file__).resolve().parents[1] / "fixtures" / "blind"
# Never read when writing rules: the honest estimate for unseen articles.
FINAL = Path(__file__).resolve().parents[1] / "fixtures" / "final"
# Written blind to the rules for issue 8, one or more per class of real-world failure; the
# fourth round of rules was developed against it.
SHAPES = Path(__file__).resolve().parents[1] / "fixtures" / "shapes"
# Written blind to the extraction code for issue 18, one or more per class of who/whose failure.
WHOSE = Path(__file__).resolve().parents[1] / "fixtures" / "whose"
# Written blind to the extraction code for issue 18 item 7: tactics narrated in paraphrase, and
# tactic words that are only the story's topic, a general warning or a denial. Scored only.
TACTICS = Path(__file__).resolve().parents[1] / "fixtures" / "tactics"
# The shared real-world corpus's dev part (copied in: see the README there); training data of
# the classifiers and a development set of the rules.
CORPUS_DEV = Path(__file__).resolve().parents[1] / "fixtures" / "corpus-dev"
# The one real bulletin and its gold record (copied in: see the README there).
SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """One dict per non-empty line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def one_record(nlp: Any, text: str, published: str | None = None) -> dict[str, Any]:
    """The extraction record of one text, as JSON."""
    from nlp import extract

    item = {"id": "t", "text": text} | ({"published": published} if published else {})
    (record,) = (r.to_json() for r in extract(nlp, [item]))
    return record


def penalty_keys(record: dict[str, Any]) -> set[tuple[Any, ...]]:
    """(person, kind, months or amount) of each penalty of a record."""
    return {(p["person"], p["kind"], p.get("months", p.get("amount"))) for p in record["penalties"]}
