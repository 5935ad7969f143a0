"""Benchmark extract() against bare nlp.pipe of the same model: speed ratio and memory flatness.

python bench/extract.py [--n 1000] [--batch-size 32] [--model NAME] [--mem 500,1000]
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import random
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import spacy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.pipeline import DEFAULT_MODELS, build_nlp, extract  # noqa: E402  (after the path fix)

logger = logging.getLogger(__name__)

SOURCES = [
    ROOT / "tests" / "fixtures" / "articles" / "input.jsonl",
    ROOT / "tests" / "fixtures" / "seed" / "seed.input.jsonl",
]


def base_texts() -> list[str]:
    """Article texts from the dev set and the seed, both in the repository."""
    texts: list[str] = []
    for path in SOURCES:
        lines = path.read_text(encoding="utf-8").splitlines()
        texts.extend(json.loads(line)["text"] for line in lines if line.strip())
    return texts


def variants(texts: list[str], n: int, seed: int = 7) -> Iterator[str]:
    """n texts built from the sources: paragraphs reordered and a numbered dateline, so the
    pipeline cannot cache anything and lengths vary like a day's crawl."""
    rng = random.Random(seed)
    for i in range(n):
        paragraphs = texts[i % len(texts)].split("\n")
        head, rest = paragraphs[:1], paragraphs[1:]
        rng.shuffle(rest)
        yield f"BEIJING, report {i} -\n" + "\n".join(head + rest)


def time_bare(nlp: spacy.Language, texts: list[str], batch_size: int) -> float:
    start = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=batch_size):
        pass
    return time.perf_counter() - start


def time_ours(nlp: spacy.Language, texts: list[str], batch_size: int) -> float:
    items = ({"id": str(i), "text": t} for i, t in enumerate(texts))
    start = time.perf_counter()
    for record in extract(nlp, items, batch_size=batch_size):
        record.to_json()
    return time.perf_counter() - start


def peak_memory(nlp: spacy.Language, base: list[str], n: int, batch_size: int) -> float:
    """Peak traced MiB while streaming n generated articles through extract()."""
    gc.collect()
    tracemalloc.start()
    items = ({"id": str(i), "text": t} for i, t in enumerate(variants(base, n, seed=n)))
    for record in extract(nlp, items, batch_size=batch_size):
        record.to_json()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--model", default=None)
    parser.add_argument("--mem", default="500,1000", help="article counts for the memory runs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    model = args.model or next(m for m in DEFAULT_MODELS if spacy.util.is_package(m))
    ours = build_nlp(model)
    bare = spacy.load(model)
    base = base_texts()
    texts = list(variants(base, args.n))
    chars = sum(map(len, texts))
    print(
        f"model {model}; {len(texts)} articles, {chars / len(texts):.0f} chars on average; "
        f"batch size {args.batch_size}"
    )

    # Warm both pipelines, then alternate bare/ours twice and keep each one's best run.
    time_bare(bare, texts[:20], args.batch_size)
    time_ours(ours, texts[:20], args.batch_size)
    bare_s = time_bare(bare, texts, args.batch_size)
    ours_s = time_ours(ours, texts, args.batch_size)
    bare_s = min(bare_s, time_bare(bare, texts, args.batch_size))
    ours_s = min(ours_s, time_ours(ours, texts, args.batch_size))
    bare_rate, ours_rate = len(texts) / bare_s, len(texts) / ours_s
    print(f"bare nlp.pipe   {bare_rate:8.1f} articles/s  ({bare_s:.1f} s)")
    print(f"extract()       {ours_rate:8.1f} articles/s  ({ours_s:.1f} s)")
    print(f"ratio extract/bare {ours_rate / bare_rate:.2f}  (target >= 0.75)")

    counts = [int(c) for c in args.mem.split(",") if c.strip()]
    peaks: dict[int, Any] = {c: peak_memory(ours, base, c, args.batch_size) for c in counts}
    for count, peak in peaks.items():
        print(f"peak traced memory, {count:5d} articles: {peak:7.1f} MiB")
    if len(counts) >= 2:
        ratio = peaks[counts[-1]] / peaks[counts[0]]
        print(f"memory ratio {counts[-1]}/{counts[0]} articles: {ratio:.2f} (flat is close to 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
