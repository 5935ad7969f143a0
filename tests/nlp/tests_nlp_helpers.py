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
# The shared real-world corpus's dev part (copied in: see the README there); training data of
# the classifiers and a development set of the rules.
CORPUS_DEV = Path(__file__).resolve().parents[1] / "fixtures" / "corpus-dev"
# The one real bulletin and its gold record (copied in: see the README there).
SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """One dict per non-empty line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
