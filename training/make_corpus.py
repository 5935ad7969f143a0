"""Build the trained components' training and development DocBins from the repo's article sets.

    python training/make_corpus.py OUT_DIR [--task text|roles|attribution] [--models DIR]
                                           [--features both|trained] [--extra GOLD INPUT]

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
import hashlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import DocBin

from nlp.components.roles import LINK_LABEL, LINK_OTHER, LINK_RECORD, ROLE_LABEL, ROLE_OTHER, ROLE_RECORD, feature_doc
from nlp.docbin import TACTIC_LABELS as TACTICS
from nlp.evaluate import norm_name, penalty_key, same_person
from nlp.pipeline import add_components, build_nlp

ROOT = Path(__file__).resolve().parents[1]
SETS = ("articles", "holdout", "blind", "corpus-dev")


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def examples(
    fixtures: Path = ROOT / "tests" / "fixtures", extra: Iterable[tuple[Path, Path]] = ()
) -> list[tuple[str, str, dict[str, Any]]]:
    """(id, text, gold record) for every article of the training sets, plus extra (gold, input)
    files (the archive's reviewed articles, from `bulletin train`)."""
    pairs = [(fixtures / name / "gold.jsonl", fixtures / name / "input.jsonl") for name in SETS]
    out = []
    for gold_path, input_path in [*pairs, *extra]:
        gold = {row["id"]: row for row in _lines(gold_path)}
        out.extend((row["id"], row["text"], gold[row["id"]]) for row in _lines(input_path) if row["id"] in gold)
    return out


def is_dev(article_id: str) -> bool:
    return hashlib.sha256(article_id.encode()).hexdigest()[0] in "012"


def text_bins(items: list[tuple[str, str, dict[str, Any]]], out: Path) -> None:
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


def _gold_penalties(gold: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(person, kind, value) of each gold penalty, names normalised as the scorer does."""
    return [penalty_key(p, {}) for p in gold.get("penalties", [])]


def recording_nlp(models: Path | None, features: str = "both", attribution: bool = False) -> Language:
    """The pipeline with the classifiers of models (the role model, for attribution), its
    subjects and penalties components keeping every example's feature words."""
    nlp = build_nlp()
    for name in [n for n in nlp.pipe_names if n.startswith("bulletin_")]:
        nlp.remove_pipe(name)
    add_components(nlp, models=models, features=features)
    subjects_pipe = nlp.get_pipe("bulletin_subjects")
    penalties_pipe = nlp.get_pipe("bulletin_penalties")
    subjects_pipe.record = True  # type: ignore[attr-defined]
    penalties_pipe.record = True  # type: ignore[attr-defined]
    if not attribution:
        penalties_pipe.classifier = None  # type: ignore[attr-defined]
    return nlp


Labelled = dict[str, list[tuple[list[str], bool]]]


def collect(
    nlp: Language, items: list[tuple[str, str, dict[str, Any]]], task: str
) -> tuple[Labelled, dict[str, int]]:
    """Per article, the (feature words, label) of each cluster (roles) or pair (attribution),
    labelled from the gold record, and the alignment counts."""
    found: Labelled = {}
    stats = dict.fromkeys(("examples", "positive", "gold", "unaligned"), 0)
    texts = ((text, (article_id, gold)) for article_id, text, gold in items)
    for doc, (article_id, gold) in nlp.pipe(texts, as_tuples=True, batch_size=16):
        rows = found.setdefault(article_id, [])
        if task == "roles":
            golds = [norm_name(n) for n in gold.get("subjects", [])] if gold["relevant"] else []
            matched = set()
            for row in doc.user_data.get(ROLE_RECORD, []):
                name = norm_name(row["name"])
                matches = [g for g in golds if same_person(name, g)]
                matched.update(matches)
                rows.append((row["words"], bool(matches)))
            stats["gold"] += len(golds)
            stats["unaligned"] += len([g for g in golds if g not in matched])
        else:
            golds_p = _gold_penalties(gold) if gold["relevant"] else []
            carried = set()
            for row in doc.user_data.get(LINK_RECORD, []):
                _, kind, value = penalty_key({"kind": row["kind"], **row["fields"]}, {})
                owners = [g for g in golds_p if g[1] == kind and g[2] == value]
                if not owners:
                    continue  # a penalty the gold record does not have: no one's
                name = norm_name(row["name"])
                mine = [g for g in owners if same_person(name, g[0])]
                carried.update(mine)
                rows.append((row["words"], bool(mine)))
            stats["gold"] += len(golds_p)
            stats["unaligned"] += len([g for g in golds_p if g not in carried])
        stats["examples"] += len(rows)
        stats["positive"] += sum(label for _, label in rows)
    return found, stats


def write_bins(found: Labelled, out: Path, task: str, ids: Iterable[str] | None = None) -> None:
    """{task}-train.spacy and {task}-dev.spacy (the fixed 3/16 by id) of the given articles."""
    positive, negative = (ROLE_LABEL, ROLE_OTHER) if task == "roles" else (LINK_LABEL, LINK_OTHER)
    vocab = spacy.blank("en").vocab
    bins = {part: DocBin() for part in ("train", "dev")}
    for article_id in found if ids is None else ids:
        for words, label in found.get(article_id, []):
            example = feature_doc(vocab, words)
            example.cats = {positive: float(label), negative: float(not label)}
            bins["dev" if is_dev(article_id) else "train"].add(example)
    for part, docbin in bins.items():
        docbin.to_disk(out / f"{task}-{part}.spacy")


def cluster_bins(
    items: list[tuple[str, str, dict[str, Any]]], out: Path, task: str, models: Path | None, features: str
) -> dict[str, int]:
    """roles-* or attribution-*; prints and returns the alignment counts."""
    nlp = recording_nlp(models, features)
    found, stats = collect(nlp, items, task)
    write_bins(found, out, task)
    what, unit = ("subjects", "cluster") if task == "roles" else ("penalties", "pair")
    print(
        f"{task}: {stats['examples']} examples ({stats['positive']} positive) from {len(items)} articles; "
        f"{stats['unaligned']} of {stats['gold']} gold {what} aligned to no {unit}"
    )
    return stats


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Build the DocBins the shipped classifiers are trained on.")
    parser.add_argument("out", type=Path, help="folder for the .spacy files")
    parser.add_argument("--task", choices=("text", "roles", "attribution"), default="text")
    parser.add_argument("--models", type=Path, default=None, help="folder of trained classifiers to run")
    parser.add_argument("--features", choices=("both", "trained"), default="both")
    parser.add_argument(
        "--extra", nargs=2, action="append", default=[], metavar=("GOLD", "INPUT"), type=Path,
        help="another labelled set (gold JSON Lines and input JSON Lines) to train on",
    )
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv[1:])
    args.out.mkdir(parents=True, exist_ok=True)
    items = examples(extra=[tuple(pair) for pair in args.extra])
    if args.task == "text":
        text_bins(items, args.out)
    else:
        cluster_bins(items, args.out, args.task, args.models, args.features)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
