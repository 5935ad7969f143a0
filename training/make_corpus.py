"""Build the trained components' training and development DocBins from the repo's article sets.

    python training/make_corpus.py OUT_DIR [--task text|roles|attribution] [--models DIR]
                                           [--features both|trained]

``text`` (the default) writes relevance-{train,dev}.spacy (every article: CASE or OTHER) and
tactics-{train,dev}.spacy (relevant articles only, one 0/1 category per taxonomy tactic, from
the article's gold labels).

``roles`` and ``attribution`` run the pipeline over the same articles and write one example
per person cluster (roles-*.spacy: DEFENDANT when the cluster's name is one of the article's
gold subjects, else OTHER) and one per (penalty, person) pair (attribution-*.spacy: LINK when
a gold penalty of that kind and value belongs to that person, NOLINK when it belongs to
someone else; pairs of a penalty the gold record does not have are left out). The gold
labels are per article, not per token, so this alignment is reported: how many gold subjects
no cluster matches and how many gold penalties no pair carries. ``attribution`` needs the
role classifier (``--models``, the folder holding ``roles/``), since a pair's features say
whether the person is a defendant.
The data are the team sets the rules were developed against and the shared corpus's dev part
(tests/fixtures/corpus-dev); a fixed 3/16 of them, by hash of the id, is the dev set
`spacy train` picks its best checkpoint on. tests/fixtures/final, tests/fixtures/shapes and
the shared corpus's test part are never read here: they stay unseen, for scoring only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import spacy
from spacy.tokens import DocBin

from nlp.docbin import TACTIC_LABELS as TACTICS
from nlp.training import EXAMPLES, Item, collect, docbins, is_dev, recording_nlp, write_bins

ROOT = Path(__file__).resolve().parents[1]
SETS = ("articles", "holdout", "blind", "corpus-dev")


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def examples(fixtures: Path = ROOT / "tests" / "fixtures") -> list[Item]:
    """(id, text, gold record) for every article of the training sets."""
    out = []
    for name in SETS:
        gold = {row["id"]: row for row in _lines(fixtures / name / "gold.jsonl")}
        out.extend(
            (row["id"], row["text"], gold[row["id"]]) for row in _lines(fixtures / name / "input.jsonl")
        )
    return out


def text_bins(items: list[Item], out: Path) -> None:
    """relevance-* and tactics-*: whole articles with their article-level categories."""
    nlp = spacy.blank("en")
    bins = {(task, part): DocBin() for task in ("relevance", "tactics") for part in ("train", "dev")}
    counts = dict.fromkeys(bins, 0)
    for article_id, text, gold in items:
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


def cluster_bins(items: list[Item], out: Path, task: str, models: Path | None, features: str) -> None:
    """roles-* or attribution-* from the items, also kept in nlp/models/examples/ (the shipped
    examples `bulletin train` adds reviewed articles to); prints the alignment counts."""
    alignment = collect(recording_nlp(models, features), items, task)
    bins = docbins(alignment.found, task)
    write_bins(bins, out, task)
    if features == "both":
        write_bins(bins, EXAMPLES, task)
    print(alignment.summary())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Build the DocBins the shipped classifiers are trained on.")
    parser.add_argument("out", type=Path, help="folder for the .spacy files")
    parser.add_argument("--task", choices=("text", "roles", "attribution", "cues"), default="text")
    parser.add_argument("--models", type=Path, default=None, help="folder of trained classifiers to run")
    parser.add_argument("--features", choices=("both", "trained"), default="both")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv[1:])
    args.out.mkdir(parents=True, exist_ok=True)
    items = examples()
    if args.task == "text":
        text_bins(items, args.out)
    else:
        cluster_bins(items, args.out, args.task, args.models, args.features)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
