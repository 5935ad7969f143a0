"""Score the pipeline on a gold set: python -m nlp.evaluate GOLD.jsonl INPUT.jsonl [--misses]."""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import sys
import tempfile
from pathlib import Path

from nlp.pipeline import build_nlp, extract

logger = logging.getLogger(__name__)

# The project's shared/ folder sits beside the checkout.
SCORER = Path(__file__).resolve().parents[2] / "shared" / "tools" / "score.py"


def read_items(path: Path) -> list[dict[str, object]]:
    """Input records from a JSONL file, or a directory's input.jsonl, or its *.json records."""
    if path.is_dir():
        files = [path / "input.jsonl"] if (path / "input.jsonl").exists() else sorted(path.glob("*.json"))
    else:
        files = [path]
    items: list[dict[str, object]] = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        if file.suffix == ".json":
            data = json.loads(text)
            items.extend(data if isinstance(data, list) else [data])
        else:
            items.extend(json.loads(line) for line in text.splitlines() if line.strip())
    return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("gold", type=Path)
    parser.add_argument("input", type=Path)
    parser.add_argument("--out", type=Path, help="where to write predictions (default: a temp file)")
    parser.add_argument("--model", default=None)
    parser.add_argument("--scorer", type=Path, default=SCORER)
    parser.add_argument("--misses", action="store_true", help="list missed and spurious items")
    args = parser.parse_args(argv)
    nlp = build_nlp(args.model)
    items = read_items(args.input)
    if args.out:
        out = args.out
    else:
        handle, name = tempfile.mkstemp(suffix=".jsonl", prefix="bulletin-pred-")
        os.close(handle)
        out = Path(name)
    with out.open("w", encoding="utf-8") as fh:
        for record in extract(nlp, items):
            fh.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    print(f"predictions: {out}")
    # Run the shared scorer in-process: it is standard-library only and has a main(argv).
    spec = importlib.util.spec_from_file_location("bulletin_score", args.scorer)
    if spec is None or spec.loader is None:
        raise ValueError(f"cannot load scorer {args.scorer}")
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    argv_out = ["score.py", str(args.gold), str(out)] + (["--misses"] if args.misses else [])
    return int(scorer.main(argv_out))


if __name__ == "__main__":
    sys.exit(main())
