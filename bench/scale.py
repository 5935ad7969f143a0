"""Scale-out benchmark, extraction part: `extract()` with 1 and 2 worker processes in one run,
and the archive's store cost per article.

    python bench/scale.py [--n 400] [--processes 1,2]

Extraction: the same generated articles (bench/extract.py's variants of the repository's
article set) through ``nlp.pipeline.extract`` with spaCy's ``n_process``; prints articles per
second per process count and the speed-up over one process (the bare baseline), and checks the
records are identical. Store: ``Store.save_extraction`` of those records into a fresh SQLite
archive, against a bare ``sqlite3`` insert of the same JSON in the same run. (Crawl workers and
a PostgreSQL store come with the rest of issue 11.)
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from extract import base_texts, variants  # noqa: E402  (bench/extract.py, beside this file)

from bulletin.records import Article  # noqa: E402
from bulletin.store import Store  # noqa: E402
from nlp.pipeline import build_nlp, extract  # noqa: E402


def run_extract(nlp: Any, texts: list[str], processes: int) -> tuple[float, list[dict[str, Any]]]:
    items = ({"id": str(i), "text": t} for i, t in enumerate(texts))
    start = time.perf_counter()
    records = [r.to_json() for r in extract(nlp, items, batch_size=32, n_process=processes)]
    return time.perf_counter() - start, records


def store_cost(records: list[dict[str, Any]], texts: list[str]) -> tuple[float, float]:
    """Seconds per article: Store.save_extraction vs a bare sqlite3 insert of the same JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        with Store.open(Path(tmp) / "a.db") as store:
            ids = [
                store.save_article(
                    Article(
                        "bench", f"https://example.org/{i}", f"t{i}", t, datetime(2026, 11, 1, tzinfo=UTC)
                    ),
                    run_id=None,
                    sig=None,
                ).id
                for i, t in enumerate(texts)
            ]
            start = time.perf_counter()
            for article_id, record in zip(ids, records, strict=True):
                store.save_extraction(article_id, "bench", record)
            ours = (time.perf_counter() - start) / len(records)
        conn = sqlite3.connect(Path(tmp) / "bare.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("CREATE TABLE e (id INTEGER PRIMARY KEY, record TEXT)")
        start = time.perf_counter()
        for n, record in enumerate(records):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO e VALUES (?, ?)", (n, json.dumps(record, ensure_ascii=False)))
            conn.execute("COMMIT")
        bare = (time.perf_counter() - start) / len(records)
        conn.close()
    return ours, bare


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--processes", default="1,2")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    counts = [int(p) for p in args.processes.split(",")]
    nlp = build_nlp()
    texts = list(variants(base_texts(), args.n))
    run_extract(nlp, texts[:20], 1)  # warm
    results = {p: run_extract(nlp, texts, p) for p in counts}
    one = results[counts[0]][0]
    print(f"{len(texts)} articles")
    for processes, (seconds, records) in results.items():
        same = "same records" if records == results[counts[0]][1] else "RECORDS DIFFER"
        label = f"{processes} process{'es' if processes > 1 else ''}"
        print(
            f"extract, {label}: {len(texts) / seconds:6.1f} articles/s ({seconds:.1f} s), "
            f"speed-up {one / seconds:.2f}x over {counts[0]}; {same}"
        )
    ours, bare = store_cost(results[counts[0]][1], texts)
    print(
        f"SQLite store: save_extraction {ours * 1000:.2f} ms/article vs bare insert {bare * 1000:.2f} ms "
        f"(ratio {ours / bare:.1f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
