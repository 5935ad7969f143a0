"""Cross-validated scores of the trained role and attribution classifiers on the training sets.

    python training/crossval.py [--folds 4] [--features both|trained] [--rules]

The training articles (`make_corpus.examples()`: the team sets and the shared corpus's dev
part) are split into folds by a hash of their id. For each fold, the role classifier and then
the attribution classifier are trained on the other folds (`spacy train` with
training/roles.cfg and training/attribution.cfg, as `make train` does), and the pipeline with
those two models extracts the held-out fold. The held-out extractions of all folds are scored
together with `nlp.evaluate.score`, so every article is scored by models that never saw it:
the honest estimate on the data we may read, used to choose features and settings without
looking at the corpus's test part. ``--rules`` scores the rule decisions instead (no role or
attribution model), on the same articles. The shipped relevance and tactics classifiers are
trained on all these articles, so relevance and tactics figures here are not held out.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from spacy.cli.train import train

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_corpus import collect, examples, recording_nlp, write_bins  # noqa: E402

from nlp.evaluate import format_report, score  # noqa: E402
from nlp.pipeline import MODELS, add_components, build_nlp, extract  # noqa: E402

TRAINING = Path(__file__).resolve().parent


def fold_of(article_id: str, folds: int) -> int:
    return int(hashlib.sha256(article_id.encode()).hexdigest()[:8], 16) % folds


def train_one(task: str, corpus: Path, output: Path) -> Path:
    """spacy train the task's config on corpus/{task}-*.spacy; the best model's folder."""
    overrides = {"paths.train": str(corpus / f"{task}-train.spacy"), "paths.dev": str(corpus / f"{task}-dev.spacy")}
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        train(TRAINING / f"{task}.cfg", output / task, overrides=overrides)
    return output / task / "model-best"


def pipeline(models: Path | None, features: str) -> Any:
    nlp = build_nlp()
    for name in [n for n in nlp.pipe_names if n.startswith("bulletin_")]:
        nlp.remove_pipe(name)
    return add_components(nlp, models=models, features=features)


def _shipped_text_models(work: Path) -> Path:
    """A models folder with the shipped relevance and tactics classifiers only."""
    models = work / "models"
    models.mkdir()
    for shipped in ("relevance", "tactics"):
        (models / shipped).symlink_to(MODELS / shipped)
    return models


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--features", choices=("both", "trained"), default="both")
    parser.add_argument("--rules", action="store_true", help="score the rules alone on the same articles")
    args = parser.parse_args(argv[1:])
    items = examples()
    gold = {article_id: record for article_id, _, record in items}
    predictions: dict[str, dict[str, Any]] = {}
    if args.rules:
        with tempfile.TemporaryDirectory(prefix="crossval-") as tmp:
            models = _shipped_text_models(Path(tmp))
            for record in extract(pipeline(models, args.features), ({"id": i, "text": t} for i, t, _ in items)):
                predictions[record.id or ""] = record.to_json()
    else:
        roles, _ = collect(recording_nlp(None, args.features), items, "roles")
        for fold in range(args.folds):
            train_items = [item for item in items if fold_of(item[0], args.folds) != fold]
            held = [item for item in items if fold_of(item[0], args.folds) == fold]
            with tempfile.TemporaryDirectory(prefix="crossval-") as tmp:
                work = Path(tmp)
                models = _shipped_text_models(work)
                write_bins(roles, work, "roles", [i for i, _, _ in train_items])
                shutil.copytree(train_one("roles", work, work / "out"), models / "roles")
                pairs, _ = collect(recording_nlp(models, args.features), train_items, "attribution")
                write_bins(pairs, work, "attribution")
                shutil.copytree(train_one("attribution", work, work / "out"), models / "attribution")
                nlp = pipeline(models, args.features)
                for record in extract(nlp, ({"id": i, "text": t} for i, t, _ in held)):
                    predictions[record.id or ""] = record.to_json()
            print(f"fold {fold + 1}/{args.folds}: {len(held)} articles held out", file=sys.stderr)
    result, _ = score(gold, predictions)
    print(format_report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
