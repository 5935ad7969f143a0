"""Build the trained components' training and development DocBins from the repo's article sets.

    python training/make_corpus.py OUT_DIR

Writes relevance-{train,dev}.spacy (every article: CASE or OTHER) and tactics-{train,dev}.spacy
(relevant articles only, one 0/1 category per taxonomy tactic, from the article's gold labels).
The data are the team sets the rules were developed against and the shared corpus's dev part
(tests/fixtures/corpus-dev); a fixed 3/16 of them, by hash of the id, is the dev set
`spacy train` picks its best checkpoint on. tests/fixtures/final, tests/fixtures/shapes and
the shared corpus's test part are never read here: they stay unseen, for scoring only.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import spacy
from spacy.tokens import DocBin

from nlp.docbin import TACTIC_LABELS as TACTICS

ROOT = Path(__file__).resolve().parents[1]
SETS = ("articles", "holdout", "blind", "corpus-dev")


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def examples(fixtures: Path = ROOT / "tests" / "fixtures") -> list[tuple[str, str, dict[str, Any]]]:
    """(id, text, gold record) for every article of the training sets."""
    out = []
    for name in SETS:
        gold = {row["id"]: row for row in _lines(fixtures / name / "gold.jsonl")}
        out.extend(
            (row["id"], row["text"], gold[row["id"]]) for row in _lines(fixtures / name / "input.jsonl")
        )
    return out


def is_dev(article_id: str) -> bool:
    return hashlib.sha256(article_id.encode()).hexdigest()[0] in "012"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    nlp = spacy.blank("en")
    bins = {(task, part): DocBin() for task in ("relevance", "tactics") for part in ("train", "dev")}
    counts = dict.fromkeys(bins, 0)
    for article_id, text, gold in examples():
        part = "dev" if is_dev(article_id) else "train"
        relevant = bool(gold["relevant"])
        doc = nlp.make_doc(text)
        doc.cats = {"CASE": float(relevant), "OTHER": float(not relevant)}
        bins["relevance", part].add(doc)
        counts["relevance", part] += 1
        if relevant:
            labels = {t if isinstance(t, str) else t["label"] for t in gold.get("tactics", [])}
            doc = nlp.make_doc(text)
            doc.cats = {label: float(label in labels) for label in TACTICS}
            bins["tactics", part].add(doc)
            counts["tactics", part] += 1
    for (task, part), docbin in bins.items():
        path = out / f"{task}-{part}.spacy"
        docbin.to_disk(path)
        print(f"{path}: {counts[task, part]} articles")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
