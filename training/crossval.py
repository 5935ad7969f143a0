"""Cross-validated scores of the trained role, attribution and cue classifiers on the training sets.

    python training/crossval.py [--folds 4] [--features both|trained] [--rules]

The training articles (`make_corpus.examples()`: the team sets and the shared corpus's dev
part) are split into folds by a hash of their id. For each fold, the role classifier and then
the attribution classifier, then the tactic cue classifier are trained on the other folds
(`spacy train` with nlp/configs/{roles,attribution,cues}.cfg, as `make train` does), and the
pipeline with those models extracts the held-out fold. The held-out extractions of all folds are scored
together with `nlp.evaluate.score`, so every article is scored by models that never saw it:
the honest estimate on the data we may read, used to choose features and settings without
looking at the corpus's test part. ``--rules`` scores the rule decisions instead (no role or
attribution model), on the same articles. The shipped relevance and tactics classifiers are
trained on all these articles, so relevance and tactics figures here are not held out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from nlp.evaluate import format_report, score
from nlp.pipeline import build_nlp, extract
from nlp.training import collect, docbins, recording_nlp, text_models_only, train_component, write_bins

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_corpus import examples


def fold_of(article_id: str, folds: int) -> int:
    return int(hashlib.sha256(article_id.encode()).hexdigest()[:8], 16) % folds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--features", choices=("both", "trained"), default="both")
    parser.add_argument("--rules", action="store_true", help="score the rules alone on the same articles")
    parser.add_argument("--no-cues", action="store_true", help="leave the tactic cues to the rules")
    parser.add_argument(
        "--no-tactic-textcat",
        action="store_true",
        help="without the shipped article-level tactic classifier (trained on these articles)",
    )
    parser.add_argument("--out", type=Path, help="write the held-out extractions here (JSON Lines)")
    parser.add_argument("--gold-out", type=Path, help="write the articles' gold labels here (JSON Lines)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a config override for both classifiers' training, e.g. training.optimizer.L2=0.001",
    )
    args = parser.parse_args(argv[1:])
    settings = {key: json.loads(value) for key, value in (s.split("=", 1) for s in args.set)}
    items = examples()
    shipped = ("relevance",) if args.no_tactic_textcat else ("relevance", "tactics")
    gold = {article_id: record for article_id, _, record in items}
    predictions: dict[str, dict[str, Any]] = {}
    if args.rules:
        with tempfile.TemporaryDirectory(prefix="crossval-") as tmp:
            models = text_models_only(Path(tmp) / "models", shipped)
            nlp = build_nlp(models=models, features=args.features)
            for record in extract(nlp, ({"id": i, "text": t} for i, t, _ in items)):
                predictions[record.id or ""] = record.to_json()
    else:
        roles = collect(recording_nlp(None, args.features), items, "roles").found
        for fold in range(args.folds):
            train_items = [item for item in items if fold_of(item[0], args.folds) != fold]
            held = [item for item in items if fold_of(item[0], args.folds) == fold]
            with tempfile.TemporaryDirectory(prefix="crossval-") as tmp:
                work = Path(tmp)
                models = text_models_only(work / "models", shipped)
                write_bins(docbins(roles, "roles", [i for i, _, _ in train_items]), work, "roles")
                shutil.copytree(train_component("roles", work, work / "out", settings), models / "roles")
                pairs = collect(recording_nlp(models, args.features), train_items, "attribution").found
                write_bins(docbins(pairs, "attribution"), work, "attribution")
                shutil.copytree(
                    train_component("attribution", work, work / "out", settings), models / "attribution"
                )
                if not args.no_cues:
                    cues = collect(recording_nlp(models, args.features), train_items, "cues").found
                    write_bins(docbins(cues, "cues"), work, "cues")
                    shutil.copytree(train_component("cues", work, work / "out", settings), models / "cues")
                nlp = build_nlp(models=models, features=args.features)
                for record in extract(nlp, ({"id": i, "text": t} for i, t, _ in held)):
                    predictions[record.id or ""] = record.to_json()
            print(f"fold {fold + 1}/{args.folds}: {len(held)} articles held out", file=sys.stderr)
    if args.out:
        args.out.write_text(
            "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in predictions.values()), "utf-8"
        )
    if args.gold_out:
        args.gold_out.write_text(
            "".join(json.dumps(g, ensure_ascii=False) + "\n" for g in gold.values()), "utf-8"
        )
    result, _ = score(gold, predictions)
    print(format_report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
