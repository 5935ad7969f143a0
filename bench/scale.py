"""Scale-out benchmark, extraction part: `extract()` with 1 and 2 worker processes in one run,
and the archive's store cost per article.

    python bench/scale.py [--n 400] [--processes 1,2]

Extraction: the same generated articles (bench/extract.py's variants of the repository's
article set) through ``nlp.pipeline.extract`` with spaCy's ``n_process``; prints articles per
second per process count and the speed-up over one process (the bare baseline), and checks the
records are identical. Store: ``Store.save_extraction`` of those records into a fresh SQLite
archive, against a bare ``sqlite3`` insert of the same JSON in the same run, and the same on
PostgreSQL (``Store`` vs a bare psycopg insert, one transaction per row as the store does).
Extraction workers: ``bulletin worker extract`` with 1 and 2 processes sharing one PostgreSQL
archive (claims with leases), articles per second from start to the last worker's end.

PostgreSQL comes from ``--pg URL`` or $BULLETIN_TEST_PG; without either, a throwaway cluster is
started when initdb is installed (tests/pg_cluster.py), and the PostgreSQL parts are skipped,
saying so, when it is not.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from extract import base_texts, variants  # noqa: E402  (bench/extract.py, beside this file)

from bulletin.database import libpq_url  # noqa: E402
from bulletin.records import Article  # noqa: E402
from bulletin.store import Store  # noqa: E402
from nlp.pipeline import build_nlp, extract  # noqa: E402


def run_extract(nlp: Any, texts: list[str], processes: int) -> tuple[float, list[dict[str, Any]]]:
    items = ({"id": str(i), "text": t} for i, t in enumerate(texts))
    start = time.perf_counter()
    records = [r.to_json() for r in extract(nlp, items, batch_size=32, n_process=processes)]
    return time.perf_counter() - start, records


def _fill(store: Store, texts: list[str]) -> list[int]:
    return [
        store.save_article(
            Article("bench", f"https://example.org/{i}", f"t{i}", t, datetime(2026, 11, 1, tzinfo=UTC)),
            run_id=None,
            sig=None,
        ).id
        for i, t in enumerate(texts)
    ]


def _save_cost(target: str, records: list[dict[str, Any]], texts: list[str]) -> float:
    """Seconds per article of Store.save_extraction into a fresh archive at ``target``."""
    with Store.open(target) as store:
        ids = _fill(store, texts)
        start = time.perf_counter()
        for article_id, record in zip(ids, records, strict=True):
            store.save_extraction(article_id, "bench", record)
        return (time.perf_counter() - start) / len(records)


def store_cost(records: list[dict[str, Any]], texts: list[str]) -> tuple[float, float]:
    """Seconds per article: Store.save_extraction vs a bare sqlite3 insert of the same JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        ours = _save_cost(str(Path(tmp) / "a.db"), records, texts)
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


def postgres_store_cost(url: str, records: list[dict[str, Any]], texts: list[str]) -> tuple[float, float]:
    """Seconds per article on PostgreSQL: Store.save_extraction vs a bare psycopg insert."""
    import psycopg

    with fresh_schema(url) as target:
        ours = _save_cost(target, records, texts)
    with fresh_schema(url) as target, psycopg.connect(libpq_url(target), autocommit=True) as conn:
        conn.execute("CREATE TABLE e (id BIGINT PRIMARY KEY, record TEXT)")
        start = time.perf_counter()
        for n, record in enumerate(records):
            with conn.transaction():
                conn.execute("INSERT INTO e VALUES (%s, %s)", (n, json.dumps(record, ensure_ascii=False)))
        bare = (time.perf_counter() - start) / len(records)
    return ours, bare


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A URL of a new, empty schema on the server at ``url``, dropped afterwards."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def postgres(given: str | None) -> Iterator[str | None]:
    """The server to measure on: ``--pg``, $BULLETIN_TEST_PG, else a throwaway cluster (None: none)."""
    url = given or os.environ.get("BULLETIN_TEST_PG")
    if url:
        yield url
        return
    from tests.pg_cluster import Cluster, bin_dir

    binaries = bin_dir()
    if binaries is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="bulletin-pg-") as root:
        cluster = Cluster(Path(root), binaries)
        cluster.start()
        try:
            yield cluster.url
        finally:
            cluster.stop()


def extraction_workers(url: str, texts: list[str], workers: int) -> tuple[float, int]:
    """Seconds for ``workers`` `bulletin worker extract` processes to extract ``texts`` from a
    fresh PostgreSQL archive (model loading included), and the articles they report."""
    with fresh_schema(url) as target:
        with Store.open(target) as store:
            _fill(store, texts)
        env = {**os.environ, "BULLETIN_DB": target, "BULLETIN_CONFIG": "", "BULLETIN_NLP_BATCH_SIZE": "16"}
        command = [sys.executable, "-m", "bulletin", "worker", "extract"]
        start = time.perf_counter()
        procs = [
            subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
            )
            for _ in range(workers)
        ]
        outs = [p.communicate()[0] for p in procs]
        seconds = time.perf_counter() - start
    done = 0
    for out in outs:
        words = next(line for line in out.splitlines() if " extracted " in line).split()
        done += int(words[words.index("extracted") + 1])
    return seconds, done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--processes", default="1,2")
    parser.add_argument(
        "--pg", metavar="URL", help="PostgreSQL server (default: $BULLETIN_TEST_PG, else throwaway)"
    )
    parser.add_argument("--workers-n", type=int, default=200, help="articles for the extraction-worker part")
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
    with postgres(args.pg) as url:
        if url is None:
            print("PostgreSQL parts skipped: no --pg, no $BULLETIN_TEST_PG and no initdb to start one")
            return 0
        pg_ours, pg_bare = postgres_store_cost(url, results[counts[0]][1], texts)
        print(
            f"PostgreSQL store: save_extraction {pg_ours * 1000:.2f} ms/article vs bare insert "
            f"{pg_bare * 1000:.2f} ms (ratio {pg_ours / pg_bare:.1f}x); "
            f"{pg_ours / ours:.1f}x the SQLite store's cost"
        )
        sample = texts[: args.workers_n]
        timings = {n: extraction_workers(url, sample, n) for n in (1, 2)}
        for n, (seconds, done) in timings.items():
            print(
                f"worker extract, {n} worker{'s' if n > 1 else ''} on PostgreSQL: {done} of {len(sample)} "
                f"articles in {seconds:.1f} s ({done / seconds:.1f} articles/s, model loading included), "
                f"speed-up {timings[1][0] / seconds:.2f}x over 1"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
