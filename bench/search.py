"""Search at 100,000 stored articles: ``bulletin.search.search`` against a bare FTS5 query.

    python bench/search.py [--articles 100000] [--repeat 15] [--db FILE]

Fills a temporary SQLite archive with synthetic articles (a Zipf-like vocabulary of 6,000
words, people's names, cities, sources over three years; each with an extraction record:
subjects, a tactic, a penalty, an organisation, a stage), builds the index with the same
function the migration uses (timed), then times, in the same run, a few queries through the
interface (parse, count, rank, snippets of the first 20 hits: what `bulletin search` and the
review page do) against the bare FTS5 query of the same terms (``MATCH`` + ``ORDER BY
bm25`` + ``LIMIT 20``, rowids only). Prints the median milliseconds of each, the ratio, and
the interface's absolute time (goal: under 50 ms).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bulletin import search_index  # noqa: E402
from bulletin.search import BM25_WEIGHTS, Filters, parse, search  # noqa: E402
from bulletin.store import Store  # noqa: E402

SURNAMES = ("Zhou", "Feng", "Jiang", "Liu", "Chen", "Wang", "Li", "Zhao", "Huang", "Smith", "Park", "Müller")
GIVEN = ("Wenbo", "Jianguo", "Haiyan", "Lei", "Min", "Thomas", "Anna", "Jun", "Xiaoming", "Zoë")
CITIES = ("Beijing", "Dalian", "Shenzhen", "Taipei", "Ohio", "Zürich", "Boston", "Nanjing")
SOURCES = ("globaltimes", "chinadaily", "doj", "taipeitimes", "generic")
TACTICS = ("financial_inducement", "online_approach", "false_identity", "insider_exploitation")
STAGES = ("detention", "charge", "conviction", "sentencing")
QUERIES: list[tuple[str, Filters]] = [
    ('"wenbo zhou"', Filters()),  # a person, as a phrase: about 1 in 120 articles
    ("shipyard technician", Filters()),  # two mid-frequency words
    ("espion*", Filters()),  # a prefix
    ("sentenced", Filters(source="doj")),  # a very common word, narrowed by a filter
    ("dalian", Filters(person="Zhou")),  # a place and a person among the subjects
]


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    letters = "abcdefghijklmnoprstuvwyz"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(size * 2)}
    return sorted(words)[:size]


def fill(db: Path, n: int, seed: int = 0) -> None:
    """Store ``n`` articles with extraction records, in bulk (one transaction per 5,000)."""
    rng = random.Random(seed)
    words = vocabulary(rng)
    # Zipf-like: the k-th word is drawn with weight 1/k, as words are in text.
    weights = [1.0 / (k + 1) for k in range(len(words))]
    fixed = ["sentenced", "espionage", "espionage-related", "shipyard", "technician", "court", "prison"]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with Store.open(db) as store:
        for base in range(0, n, 5000):
            rows, records = [], []
            for i in range(base, min(base + 5000, n)):
                name = f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}"
                city = rng.choice(CITIES)
                body = rng.choices(words, weights, k=140) + rng.sample(fixed, 2) + [name, city]
                rng.shuffle(body)
                text = " ".join(body).capitalize() + "."
                published = start + timedelta(minutes=i * 15)
                source = rng.choice(SOURCES)
                title = f"{name} {rng.choice(('sentenced', 'detained', 'charged'))} in {city}"
                rows.append(
                    (
                        i + 1,
                        f"https://{source}.example/{i}",
                        source,
                        title,
                        published.isoformat(),
                        published.isoformat(),
                        text,
                        f"h{i}",
                        published.isoformat(),
                        i + 1,
                        published.isoformat(),
                    )
                )
                record = {
                    "relevant": True,
                    "subjects": [name],
                    "tactics": [{"label": rng.choice(TACTICS), "evidence": "offered a consulting fee"}],
                    "penalties": [{"person": name, "kind": "imprisonment", "months": rng.randint(6, 180)}],
                    "entities": [{"label": "ORG", "text": "Ministry of State Security"}],
                    "laws": [{"text": "Criminal Law Article 110"}],
                    "stage": {"label": rng.choice(STAGES), "evidence": "was sentenced"},
                }
                records.append((i + 1, "bench", 1, json.dumps(record), published.isoformat()))
            with store.transaction():
                store.conn.executemany(
                    "INSERT INTO articles (id, url, source, title, published_at, published_utc, text,"
                    " content_hash, fetched_at, story_id, first_stored_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
                store.conn.executemany(
                    "INSERT INTO extractions (article_id, pipeline_version, relevant, record, extracted_at)"
                    " VALUES (?,?,?,?,?)",
                    records,
                )
            print(f"  stored {min(base + 5000, n):,} of {n:,}", file=sys.stderr, end="\r")
    print(file=sys.stderr)


def median_ms(run: Callable[[], object], repeat: int) -> float:
    run()  # warm the page cache and the statement cache
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--db",
        type=Path,
        help="Keep the archive here (default: a temporary folder); an existing one is reused.",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        if not db.exists():
            fill(db, args.articles)
        stored = time.perf_counter() - t0
        with Store.open(db) as store:
            t0 = time.perf_counter()
            with store.transaction():
                store.conn.execute("DELETE FROM search_documents")
                search_index.fill(store)
            indexed = time.perf_counter() - t0
            size = db.stat().st_size / 2**20
            print(
                f"{store.count_articles():,} articles stored in {stored:.1f} s; "
                f"index built in {indexed:.1f} s (the migration's fill); archive {size:.0f} MiB"
            )
            weights = ", ".join(str(w) for w in BM25_WEIGHTS)
            print(f"{'query':42s} {'hits':>7s} {'ours ms':>8s} {'bare ms':>8s} {'ratio':>6s}")
            worst = 0.0
            for query, filters in QUERIES:
                terms = parse(query, filters.person)
                match = " AND ".join(t.fts5() for t in terms)
                bare_sql = (
                    "SELECT rowid FROM search_fts WHERE search_fts MATCH ?"
                    f" ORDER BY bm25(search_fts, {weights}) LIMIT 20"
                )
                total = search(store, query, filters).total
                ours = median_ms(lambda q=query, f=filters: search(store, q, f, 20), args.repeat)
                bare = median_ms(
                    lambda m=match, sql=bare_sql: store.conn.execute(sql, (m,)).fetchall(), args.repeat
                )
                worst = max(worst, ours)
                label = query + (f" [{', '.join(f'{k}={v}' for k, v in vars_of(filters).items())}]")
                print(f"{label[:42]:42s} {total:7,d} {ours:8.1f} {bare:8.1f} {ours / bare:6.1f}")
            print(f"slowest query through the interface: {worst:.1f} ms (goal < 50 ms)")


def vars_of(filters: Filters) -> dict[str, object]:
    return {k: getattr(filters, k) for k in filters.__slots__ if getattr(filters, k) is not None}


if __name__ == "__main__":
    main()
