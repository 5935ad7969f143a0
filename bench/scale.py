"""Scale-out benchmark: extraction with 1 and 2 processes, the store's cost per article, and a
shared crawl with 1, 2, 4, 8 and 16 crawler processes, in one run.

    python bench/scale.py [--n 400] [--processes 1,2] [--crawl-articles 600] [--workers 1,2,4,8,16]
                          [--latency 0.05] [--concurrency 2] [--pg URL] [--workers-n 200]
                          [--parts extract,postgres,crawl]

Extraction: the same generated articles (bench/extract.py's variants of the repository's
article set) through ``nlp.pipeline.extract`` with spaCy's ``n_process``; prints articles per
second per process count and the speed-up over one process (the bare baseline), and checks the
records are identical. Store: ``Store.save_extraction`` of those records into a fresh SQLite
archive, against a bare ``sqlite3`` insert of the same JSON in the same run.

PostgreSQL: the same records through ``Store.save_extraction`` vs a bare psycopg insert (one
transaction per row, as the store does), and ``bulletin worker extract`` with 1 and 2 processes
sharing one PostgreSQL archive (claims with leases), from start (model loading included) to the
last worker's end. The server is ``--pg URL`` or $BULLETIN_TEST_PG; without either, a throwaway
cluster is started when initdb is installed (tests/pg_cluster.py); else the part says it is skipped.

Crawl: a generated Global Times-shaped site (``bulletin.sitegen``) served on loopback by
``SampleServer`` with ``--latency`` seconds added to every page, so the crawl waits on the
network as on the internet, and one throwaway ``redis-server`` on a free loopback port
(started and stopped here, emptied between runs). For each process count N, a fresh archive,
N - 1 ``bulletin worker crawl`` processes, then the seeding ``bulletin crawl --redis``, which
works too. The time runs from the seed's launch (so it includes one process start) to the last
article stored; each process keeps the project's per-domain concurrency (``--concurrency``).
A plain ``bulletin crawl`` of the same site without Redis is the bare baseline. Prints
articles per second, the shared crawl's rate with one process against the plain one, the
speed-up over the first count, the processes' CPU seconds per article, checks every article
is stored once and fetched once, and says where adding processes stops paying.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections import Counter
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
from bulletin.sample_server import SampleServer  # noqa: E402
from bulletin.sitegen import generate_site  # noqa: E402
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


def extract_part(n: int, counts: list[int]) -> tuple[list[str], list[dict[str, Any]], float]:
    """Extraction with each process count, then the SQLite store's cost; the texts, their
    records and that cost, for the PostgreSQL part to compare with."""
    nlp = build_nlp()
    texts = list(variants(base_texts(), n))
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
    return texts, results[counts[0]][1], ours


def postgres_part(
    given: str | None, texts: list[str], records: list[dict[str, Any]], sqlite_cost: float, workers_n: int
) -> None:
    with postgres(given) as url:
        if url is None:
            print("PostgreSQL part skipped: no --pg, no $BULLETIN_TEST_PG and no initdb to start one")
            return
        pg_ours, pg_bare = postgres_store_cost(url, records, texts)
        print(
            f"PostgreSQL store: save_extraction {pg_ours * 1000:.2f} ms/article vs bare insert "
            f"{pg_bare * 1000:.2f} ms (ratio {pg_ours / pg_bare:.1f}x); "
            f"{pg_ours / sqlite_cost:.1f}x the SQLite store's cost"
        )
        sample = texts[:workers_n]
        timings = {n: extraction_workers(url, sample, n) for n in (1, 2)}
        for n, (seconds, done) in timings.items():
            print(
                f"worker extract, {n} worker{'s' if n > 1 else ''} on PostgreSQL: {done} of {len(sample)} "
                f"articles in {seconds:.1f} s ({done / seconds:.1f} articles/s, model loading included), "
                f"speed-up {timings[1][0] / seconds:.2f}x over 1"
            )


class ThrowawayRedis:
    """Debian's redis-server on a free loopback port, no persistence, in a temporary folder."""

    def __init__(self, folder: Path):
        server = shutil.which("redis-server")
        if server is None:
            raise SystemExit("redis-server is not installed (apt-get install redis-server)")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"redis://127.0.0.1:{self.port}/0"
        command = [server, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(folder)]
        command += ["--save", "", "--appendonly", "no", "--logfile", str(folder / "redis.log")]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        self.client = redis.Redis.from_url(self.url, socket_timeout=5)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client.ping()
                return
            except redis.exceptions.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)

    def clients(self) -> int:
        return int(self.client.info("clients")["connected_clients"])

    def stop(self) -> None:
        self.client.close()
        self.proc.terminate()
        self.proc.wait(10)


def stored(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0
    finally:
        conn.close()


def crawl_config(tmp: Path, base: str, sections: list[str], concurrency: int) -> Path:
    config = tmp / "config.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [store]
            path = "{tmp / "bench.db"}"
            [crawl]
            download_delay = 0.0
            autothrottle = false
            concurrency_per_domain = {concurrency}
            timeout = 30.0
            progress_seconds = 0.0
            [redis]
            idle_seconds = 2.0
            wait_seconds = 20.0
            [sources.globaltimes]
            base_url = "{base}"
            sections = {json.dumps(sections)}
            sitemap = false
            """
        ),
        encoding="utf-8",
    )
    return config


def run_shared_crawl(
    tmp: Path,
    server: SampleServer,
    redis: ThrowawayRedis | None,
    sections: list[str],
    n: int,
    processes: int,
    concurrency: int,
) -> tuple[float, float, int, int]:
    """Seconds to store ``n`` articles, CPU seconds of all processes, rows stored, pages fetched twice."""
    tmp.mkdir()
    config = crawl_config(tmp, server.base("gt"), sections, concurrency)
    db = tmp / "bench.db"
    if redis is not None:
        redis.client.flushall()
    before = Counter(server.hits)
    bulletin = [sys.executable, "-m", "bulletin", "-q", "--config", str(config)]
    env = {**os.environ, "BULLETIN_CONFIG": ""}
    logs = [tmp / f"process{i}.log" for i in range(processes)]

    def launch(command: list[str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as err:
            return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)

    if redis is None:  # the bare baseline: one plain `bulletin crawl`, no Redis
        workers: list[subprocess.Popen[bytes]] = []
        shared: list[str] = []
    else:
        clients = redis.clients()
        work = [*bulletin, "worker", "crawl", "globaltimes", "--redis", redis.url]
        workers = [launch(work, log) for log in logs[1:]]
        deadline = time.monotonic() + 30  # each worker holds a connection once its spider is open
        while redis.clients() < clients + len(workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        shared = ["--redis", redis.url]
    start = time.perf_counter()
    seed = launch([*bulletin, "crawl", "globaltimes", *shared], logs[0])
    procs = [seed, *workers]
    ended: dict[int, tuple[int, float]] = {}  # pid: exit code, CPU seconds (os.wait4 reaps it)

    def reap(proc: subprocess.Popen[bytes], block: bool) -> None:
        pid, status, usage = os.wait4(proc.pid, 0 if block else os.WNOHANG)
        if pid:
            ended[proc.pid] = (os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime)

    while stored(db) < n and len(ended) < len(procs):
        time.sleep(0.05)
        for proc in procs:
            if proc.pid not in ended:
                reap(proc, block=False)
    elapsed = time.perf_counter() - start
    for proc in procs:
        if proc.pid not in ended:
            reap(proc, block=True)
    for proc, log in zip(procs, logs, strict=True):
        if ended[proc.pid][0] != 0:
            tail = log.read_text(errors="replace")[-2000:]
            raise SystemExit(f"a crawler process exited {ended[proc.pid][0]}:\n{tail}")
    cpu = sum(seconds for _, seconds in ended.values())
    hits = Counter(server.hits)
    hits.subtract(before)
    twice = sum(1 for url, count in hits.items() if count > 1 and not url.endswith("/robots.txt"))
    return elapsed, cpu, stored(db), twice


def checked(rows: int, twice: int, articles: int) -> str:
    check = "every article stored once" if rows == articles else f"{rows} ROWS, NOT {articles}"
    return check + (f", {twice} PAGES FETCHED TWICE" if twice else "")


def crawl_part(articles: int, counts: list[int], latency: float, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        sections = generate_site(tmp / "sites" / "gt", articles)
        (tmp / "redis").mkdir()
        redis = ThrowawayRedis(tmp / "redis")
        try:
            with SampleServer(tmp / "sites", latency=latency) as server:
                plain = run_shared_crawl(tmp / "plain", server, None, sections, articles, 1, concurrency)
                results = {
                    p: run_shared_crawl(tmp / f"run{p}", server, redis, sections, articles, p, concurrency)
                    for p in counts
                }
        finally:
            redis.stop()
    print(
        f"shared crawl: {articles} articles, {latency * 1000:.0f} ms latency per page, "
        f"concurrency {concurrency} per process, {os.cpu_count()} cores"
    )
    seconds, cpu, rows, twice = plain
    print(
        f"crawl, plain (no Redis): {articles / seconds:6.1f} articles/s ({seconds:.1f} s); "
        f"CPU {cpu / articles * 1000:.1f} ms/article; {checked(rows, twice, articles)}"
    )
    one = results[counts[0]][0]
    print(f"shared crawl, {counts[0]} process vs plain: {seconds / one:.2f} of the plain crawl's rate")
    speedups: dict[int, float] = {}
    for processes, (seconds, cpu, rows, twice) in results.items():
        speedups[processes] = one / seconds
        label = f"{processes} process{'es' if processes > 1 else ''}"
        check = checked(rows, twice, articles)
        print(
            f"crawl, {label}: {articles / seconds:6.1f} articles/s ({seconds:.1f} s), "
            f"speed-up {speedups[processes]:.2f}x over {counts[0]}; "
            f"CPU {cpu / articles * 1000:.1f} ms/article; {check}"
        )
    # Doubling the processes should come close to doubling the rate: below 1.25x it has stopped paying.
    stops = next(
        (b for a, b in itertools.pairwise(counts) if speedups[b] / speedups[a] < 1.25),
        None,
    )
    if stops is None:
        print(f"still scaling at {counts[-1]} processes")
    else:
        before = counts[counts.index(stops) - 1]
        print(
            f"stops scaling past {before} process{'es' if before > 1 else ''}: "
            f"{stops} give {speedups[stops] / speedups[before]:.2f}x the rate of {before}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--crawl-articles", type=int, default=600)
    parser.add_argument("--workers", default="1,2,4,8,16", help="crawler processes per shared-crawl run")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every page")
    parser.add_argument("--concurrency", type=int, default=2, help="requests per domain per process")
    parser.add_argument(
        "--pg", metavar="URL", help="PostgreSQL server (default: $BULLETIN_TEST_PG, else throwaway)"
    )
    parser.add_argument("--workers-n", type=int, default=200, help="articles for the extraction-worker part")
    parser.add_argument("--parts", default="extract,postgres,crawl", help="postgres needs extract")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    parts = set(args.parts.split(","))
    if "extract" in parts:
        texts, records, sqlite_cost = extract_part(args.n, [int(p) for p in args.processes.split(",")])
        if "postgres" in parts:
            postgres_part(args.pg, texts, records, sqlite_cost, args.workers_n)
    if "crawl" in parts:
        crawl_part(
            args.crawl_articles, [int(w) for w in args.workers.split(",")], args.latency, args.concurrency
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
