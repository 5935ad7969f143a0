"""CI check: the project's scorer gives the shared scorer's figures, figure for figure.

    python .ci/compare_scorer.py SHARED_DIR

For the shared corpus (its test and dev parts, split by the rule in SHARED_DIR/corpus/README.md),
the repository's article sets and the scorer's hand-made fixtures, it runs
``python -m nlp.evaluate GOLD INPUT --run --out PRED --json`` and
``SHARED_DIR/tools/score.py GOLD PRED --json`` on the same predictions (and on an empty
prediction file) and compares the two JSON results. Exit 1 on any difference.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"


def is_test(article_id: str) -> bool:
    """The corpus's fixed split: ids whose sha256 starts with 0-4 are the test part."""
    return hashlib.sha256(article_id.encode()).hexdigest()[0] in "01234"


def corpus_sets(corpus: Path, work: Path) -> dict[str, tuple[Path, Path]]:
    """Gold and input files of the corpus's test and dev parts, written into ``work``."""
    parts: dict[str, tuple[list[str], list[str]]] = {"corpus-test": ([], []), "corpus-dev": ([], [])}
    for part in sorted(corpus.glob("part-*.jsonl")):
        for line in part.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            label = json.loads(line)
            gold, items = parts["corpus-test" if is_test(label["id"]) else "corpus-dev"]
            gold.append(line)
            text = (corpus / "texts" / f"{label['id']}.txt").read_text(encoding="utf-8")
            items.append(json.dumps({"id": label["id"], "text": text}, ensure_ascii=False))
    sets = {}
    for name, (gold, items) in parts.items():
        (work / f"{name}.gold.jsonl").write_text("\n".join(gold) + "\n", encoding="utf-8")
        (work / f"{name}.input.jsonl").write_text("\n".join(items) + "\n", encoding="utf-8")
        sets[name] = (work / f"{name}.gold.jsonl", work / f"{name}.input.jsonl")
    return sets


def run_json(args: list[str]) -> Any:
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(args)}\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def differences(ours: Any, theirs: Any, where: str = "") -> list[str]:
    """Every key path where the two results differ."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = []
        for key in sorted(set(ours) | set(theirs)):
            found += differences(ours.get(key), theirs.get(key), f"{where}.{key}" if where else key)
        return found
    return [] if ours == theirs else [f"{where}: nlp.evaluate {ours!r}, score.py {theirs!r}"]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    shared = Path(argv[1])
    shared_scorer = shared / "tools" / "score.py"
    evaluate = [sys.executable, "-m", "nlp.evaluate"]
    failed = False
    with tempfile.TemporaryDirectory(prefix="compare-scorer-") as tmp:
        work = Path(tmp)
        empty = work / "empty.jsonl"
        empty.write_text("", encoding="utf-8")
        sets = corpus_sets(shared / "corpus", work)
        for name in ("articles", "holdout", "blind", "final"):
            sets[name] = (FIXTURES / name / "gold.jsonl", FIXTURES / name / "input.jsonl")
        sets["seed"] = (FIXTURES / "seed" / "seed.gold.jsonl", FIXTURES / "seed" / "seed.input.jsonl")
        comparisons: list[tuple[str, Path, Path, Any]] = []
        for name, (gold, items) in sets.items():
            pred = work / f"{name}.pred.jsonl"
            ours = run_json([*evaluate, str(gold), str(items), "--run", "--out", str(pred), "--json"])
            comparisons.append((name, gold, pred, ours))
            comparisons.append((f"{name}, empty predictions", gold, empty, None))
        scoring = FIXTURES / "scoring"
        comparisons.append(("scoring fixtures", scoring / "gold.jsonl", scoring / "pred.jsonl", None))
        for name, gold, pred, ours in comparisons:
            if ours is None:
                ours = run_json([*evaluate, str(gold), str(pred), "--json"])
            theirs = run_json([sys.executable, str(shared_scorer), str(gold), str(pred), "--json"])
            found = differences(ours, theirs)
            failed = failed or bool(found)
            print(f"{'DIFFER' if found else 'agree '}  {name} ({ours['articles']} articles)")
            for line in found:
                print(f"    {line}")
            if name == "corpus-test":
                figures = ", ".join(
                    f"{f} F1 {ours[f]['f1']:.3f}" for f in ("subjects", "tactics", "penalties")
                )
                print(f"    relevance {ours['relevance_accuracy']:.3f}, {figures}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
