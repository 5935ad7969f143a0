"""Build the relevance classifier's training and development DocBins from the repo's article sets.

    python training/make_corpus.py OUT_DIR

Train on the team sets that rules were already developed against and on the shared corpus's
dev part (tests/fixtures/corpus-dev); a fixed sixteenth-by-three of them, by hash of the id, is the dev
set `spacy train` picks its best checkpoint on. tests/fixtures/final and the shared corpus's
test part are never read here: they stay unseen, for scoring only.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import spacy
from spacy.tokens import DocBin

ROOT = Path(__file__).resolve().parents[1]
SETS = ("articles", "holdout", "blind", "corpus-dev")
LABELS = ("CASE", "OTHER")


def examples(fixtures: Path = ROOT / "tests" / "fixtures") -> list[tuple[str, str, bool]]:
    """(id, text, relevant) for every article of the training sets."""
    out = []
    for name in SETS:
        folder = fixtures / name
        gold = {}
        for line in (folder / "gold.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                gold[row["id"]] = bool(row["relevant"])
        for line in (folder / "input.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out.append((row["id"], row["text"], gold[row["id"]]))
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
    bins = {"train": DocBin(), "dev": DocBin()}
    counts = {"train": [0, 0], "dev": [0, 0]}
    for article_id, text, relevant in examples():
        doc = nlp.make_doc(text)
        doc.cats = {"CASE": float(relevant), "OTHER": float(not relevant)}
        part = "dev" if is_dev(article_id) else "train"
        bins[part].add(doc)
        counts[part][0 if relevant else 1] += 1
    for part, docbin in bins.items():
        docbin.to_disk(out / f"{part}.spacy")
        print(f"{part}: {counts[part][0]} cases, {counts[part][1]} other -> {out / (part + '.spacy')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
