"""The same tool on a PostgreSQL archive: the daily job, the ledger, and workers sharing extraction.

Runs against the server at $BULLETIN_TEST_PG (see ``conftest.pg_server``); the worker tests
run on SQLite as well, where the claims are taken under the one write lock.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bulletin.sample_server import SampleServer
from bulletin.store import Store
from tests.conftest import REPO, Bulletin, make_bulletin
from tests.smtp import Inbox, smtp_on_loopback

pytestmark = pytest.mark.slow

DAY = "2025-03-08"
ONLY_GLOBAL_TIMES = {
    f"BULLETIN_SOURCES_{s.upper()}_ENABLED": "false" for s in ("chinadaily", "doj", "prosecutors")
}


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_on_loopback() as server:
        yield server


def _bulletin(tmp: Path, server: SampleServer, port: int, db: str) -> Bulletin:
    extra = f"""
[digest]
timezone = "Asia/Shanghai"
out_dir = "{(tmp / "digests").as_posix()}"
formats = ["txt"]

[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
sender = "watch@example.org"
recipients = ["analyst@example.org"]
"""
    tmp.mkdir()
    bulletin = make_bulletin(tmp, server, extra)
    bulletin.env = {**ONLY_GLOBAL_TIMES, "BULLETIN_DB": db}
    return bulletin


def _records(bulletin: Bulletin) -> dict[str, dict[str, Any]]:
    """The export by URL, without what depends on insertion order or the clock (ids, times)."""
    out = {}
    for line in bulletin.run("export").stdout.splitlines():
        record = json.loads(line)
        out[record["url"]] = {k: v for k, v in record.items() if not k.endswith(("id", "_at"))}
    return out


@pytest.mark.ci
def test_the_daily_run_on_postgresql_stores_and_mails_what_sqlite_does(
    tmp_path: Path, sample_server: SampleServer, smtp: tuple[Inbox, int], pg_url: str
) -> None:
    inbox, port = smtp
    before = len(inbox.messages)
    on_sqlite = _bulletin(tmp_path / "sqlite", sample_server, port, str(tmp_path / "sqlite" / "a.db"))
    on_postgres = _bulletin(tmp_path / "postgres", sample_server, port, pg_url)
    digests = {}
    for name, bulletin in (("sqlite", on_sqlite), ("postgres", on_postgres)):
        proc = bulletin.run("run", "--date", DAY, "--send")
        [path] = [Path(line) for line in proc.stdout.splitlines() if line.endswith(".txt")]
        digests[name] = path.read_text(encoding="utf-8")
    assert len(inbox.messages) == before + 2  # one each
    records = _records(on_postgres)
    assert records == _records(on_sqlite)
    assert sum(r["relevant"] for r in records.values()) > 3
    assert "Former engineer surnamed Feng sentenced to six years" in digests["postgres"]
    # The digest's cases, as lines, are the same; only the times it was built differ.
    assert [line for line in digests["postgres"].splitlines() if "UTC" not in line] == [
        line for line in digests["sqlite"].splitlines() if "UTC" not in line
    ]
    # The ledger on PostgreSQL: a second send of the period is refused.
    again = on_postgres.run("digest", "--date", DAY, "--send")
    assert "already sent" in again.stderr
    assert len(inbox.messages) == before + 2
    with Store.open(pg_url) as store:
        assert store.backend == "postgresql"
        assert store.sent_digest(f"daily:{DAY}") is not None
        [run] = store.pipeline_runs(1)
        stored = store.count_articles()
    assert run["status"] == "finished"
    # The archive's "already stored" check holds on PostgreSQL: a second crawl adds no row.
    on_postgres.run("crawl")
    with Store.open(pg_url) as store:
        assert store.count_articles() == stored
        assert set(store.url_counts().values()) == {1}


# -- workers sharing extraction ----------------------------------------------------------


def _crawled(tmp: Path, server: SampleServer, db: str, batch: int) -> Bulletin:
    bulletin = make_bulletin(tmp, server, f"\n[nlp]\nbatch_size = {batch}\n")
    bulletin.env = {"BULLETIN_DB": db}
    bulletin.run("crawl")
    return bulletin


def _worker(bulletin: Bulletin, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bulletin", "--config", str(bulletin.config), "worker", "extract", *args],
        cwd=REPO,
        env={**os.environ, "BULLETIN_CONFIG": "", **bulletin.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _extracted(line: str) -> int:
    """The count in a worker's summary line ("worker h:1 extracted 12 articles ...")."""
    words = line.split()
    return int(words[words.index("extracted") + 1])


def _summary(out: str) -> str:
    return next(line for line in out.splitlines() if " extracted " in line)


def _pending(db: str) -> tuple[int, int, int]:
    """(articles, articles with a current extraction, claims left)."""
    import nlp

    with Store.open(db) as store:
        articles = store.count_articles()
        pending = store.count_to_extract(nlp.PIPELINE_VERSION)
        claims = int(store.conn.execute("SELECT count(*) FROM extraction_claims").fetchone()[0])
    return articles, articles - pending, claims


def test_two_workers_share_the_extraction_and_do_nothing_twice(
    tmp_path: Path, sample_server: SampleServer, archive: str
) -> None:
    bulletin = _crawled(tmp_path, sample_server, archive, batch=3)
    workers = [_worker(bulletin), _worker(bulletin)]
    outs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [err[-2000:] for _, err in outs]
    done = [_extracted(_summary(out)) for out, _ in outs]
    articles, extracted, claims = _pending(archive)
    assert articles > 10
    # Every article extracted, by exactly one of the two: the counts add up to the archive.
    assert (extracted, claims) == (articles, 0)
    assert sum(done) == articles
    assert all(n > 0 for n in done), done  # both took a share
    assert "linked" in outs[0][0]


@pytest.mark.ci
def test_a_killed_workers_claims_come_back_to_the_next(
    tmp_path: Path, sample_server: SampleServer, pg_url: str
) -> None:
    """On PostgreSQL, where workers on several machines share one archive (the lease is the
    same code on SQLite, which the two-worker test covers)."""
    archive = pg_url
    bulletin = _crawled(tmp_path, sample_server, archive, batch=4)
    doomed = _worker(bulletin, "--lease", "5")
    deadline = time.monotonic() + 120
    while _pending(archive)[2] == 0:  # killed while it holds a batch
        assert doomed.poll() is None, doomed.communicate()[1][-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    doomed.send_signal(signal.SIGKILL)
    doomed.communicate()
    articles, before, claims = _pending(archive)
    assert claims > 0
    assert before < articles
    heir = _worker(bulletin, "--lease", "5")
    out, err = heir.communicate(timeout=300)
    assert heir.returncode == 0, err[-2000:]
    # It waited for the dead worker's lease to run out, then did the rest, that batch too.
    assert _pending(archive) == (articles, articles, 0)
    assert _extracted(_summary(out)) == articles - before
