"""Score the pipeline three ways on labelled sets: rules only, trained only, both (as shipped).

    python training/ablation.py GOLD INPUT [GOLD INPUT ...]

- rules: no role or attribution classifier (the rules decide who is a defendant and whose a
  penalty is), the shipped relevance and tactics classifiers as usual;
- trained: role and attribution classifiers trained (here, now, as `make train` does) on
  features without the rules' votes, so they decide from the parse and the context alone;
- both: the shipped classifiers, whose features include the rules' votes.

Each GOLD/INPUT pair is a set as `python -m nlp.evaluate` takes it (for the shared corpus's
test part, the files .ci/compare_scorer.py writes). Prints one line per set and way.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from nlp.evaluate import score
from nlp.pipeline import build_nlp, extract
from nlp.training import collect, docbins, recording_nlp, text_models_only, train_component, write_bins

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_corpus import examples


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def trained_only(work: Path) -> Path:
    """A models folder: the shipped text classifiers, roles and attribution trained without rule votes."""
    models = text_models_only(work / "models")
    items = examples()
    for task in ("roles", "attribution"):
        found = collect(recording_nlp(models, "trained"), items, task).found
        write_bins(docbins(found, task), work / "corpus", task)
        shutil.copytree(train_component(task, work / "corpus", work / "out"), models / task)
    return models


def main(argv: list[str]) -> int:
    if len(argv) < 3 or len(argv) % 2 == 0:
        print(__doc__, file=sys.stderr)
        return 2
    sets = [(Path(argv[i]), Path(argv[i + 1])) for i in range(1, len(argv), 2)]
    with tempfile.TemporaryDirectory(prefix="ablation-") as tmp:
        work = Path(tmp)
        ways = {
            "rules": build_nlp(models=text_models_only(work / "rules")),
            "trained": build_nlp(models=trained_only(work), features="trained"),
            "both": build_nlp(),
        }
        header = ("set", "way", "relevance", "subjects", "tactics", "penalties", "kind+value")
        print("{:24} {:8} {:>9} {:>9} {:>8} {:>9} {:>10}".format(*header))
        for gold_path, input_path in sets:
            gold = {row["id"]: row for row in lines(gold_path)}
            items = lines(input_path)
            for way, nlp in ways.items():
                predictions = {r.id or "": r.to_json() for r in extract(nlp, items)}
                result, _ = score(gold, predictions)
                print(
                    f"{gold_path.stem[:24]:24} {way:8} {result['relevance_accuracy']:9.3f} "
                    f"{result['subjects']['f1']:9.3f} {result['tactics']['f1']:8.3f} "
                    f"{result['penalties']['f1']:9.3f} {result['penalties_unattributed']['f1']:10.3f}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
