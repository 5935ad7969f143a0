"""Shared crawls (scrapy-redis): workers against one Redis and one archive, with kills and restarts.

Every test runs real parts: Debian's redis-server (tests/redis_server.py), the sample sites,
and `bulletin` in child processes. They skip only when redis-server is not installed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulletin.sample_server import SampleServer
from tests.conftest import REPO, Bulletin, make_bulletin
from tests.redis_server import REDIS_SERVER, RedisServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        REDIS_SERVER is None, reason="redis-server is not installed (apt-get install redis-server)"
    ),
]

# Workers stop 2 s after the shared queue empties (the default, 30 s, is for real sites).
SHARED = "[redis]\nidle_seconds = 2.0\nwait_seconds = 20.0\n"
# Four crawler processes on two cores answer slower than one: the sample config's 2 s timeout
# would time pages out (and retry them) at random. 10 s, for the plain crawl too, so that
# both store the same set (the sample's 2.5 s "slow" page is then stored by both).
PATIENT = {"BULLETIN_CRAWL_TIMEOUT": "10"}
# Slow enough that a worker can be killed, or Redis restarted, while articles are still queued.
SLOW = {**PATIENT, "BULLETIN_CRAWL_DOWNLOAD_DELAY": "0.5"}
# A delay between requests to a site, as on the internet: without one, the first process to
# pop takes 8 requests per site at once and the loopback sites answer in milliseconds, so one
# process could drain the whole queue before the others' next look (every 0.5 s).
SHARING = {**PATIENT, "BULLETIN_CRAWL_DOWNLOAD_DELAY": "0.2"}


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def plain(
    tmp_path_factory: pytest.TempPathFactory, sample_server: SampleServer
) -> tuple[set[str], Counter[str]]:
    """The article URLs of one plain crawl of the sample sites, and what it requested."""
    bulletin = make_bulletin(tmp_path_factory.mktemp("plain"), sample_server)
    bulletin.env = dict(PATIENT)
    before = Counter(sample_server.hits)
    bulletin.run("crawl")
    return stored_urls(bulletin), fetched(sample_server, before)


def stored_urls(bulletin: Bulletin) -> set[str]:
    with bulletin.store() as store:
        return {row[0] for row in store.conn.execute("SELECT url FROM articles")}


def fetched(server: SampleServer, before: Counter[str]) -> Counter[str]:
    """Requests since ``before``, robots.txt left out (every worker process reads it once)."""
    hits = Counter(server.hits)
    hits.subtract(before)
    return Counter({url: n for url, n in hits.items() if n > 0 and not url.endswith("/robots.txt")})


def child(bulletin: Bulletin, env: dict[str, str] | None, *args: str) -> subprocess.Popen[str]:
    """`bulletin ARGS` in a child process, on the bulletin's config."""
    return subprocess.Popen(
        [sys.executable, "-m", "bulletin", "--config", str(bulletin.config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "BULLETIN_CONFIG": "", **(env or {})},
    )


def worker(
    bulletin: Bulletin, url: str, env: dict[str, str] | None = None, *sources: str
) -> subprocess.Popen[str]:
    return child(bulletin, env, "worker", "crawl", "--redis", url, *sources)


def seed(
    bulletin: Bulletin, url: str, env: dict[str, str] | None = None, *sources: str
) -> subprocess.Popen[str]:
    return child(bulletin, env, "crawl", "--redis", url, *sources)


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def article_rows(bulletin: Bulletin) -> int:
    if isinstance(bulletin.db, Path) and not bulletin.db.exists():
        return 0
    with bulletin.store() as store:
        return int(store.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])


def wait_for_articles(bulletin: Bulletin, n: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while article_rows(bulletin) < n:
        assert time.monotonic() < deadline, f"fewer than {n} articles stored after {timeout} s"
        time.sleep(0.1)


def test_three_workers_and_the_seed_store_every_article_once(
    tmp_path: Path,
    sample_server: SampleServer,
    redis_server: RedisServer,
    plain: tuple[set[str], Counter[str]],
    archive: str,
) -> None:
    """Into one SQLite file, then into one PostgreSQL archive (as on several machines)."""
    urls, plain_fetched = plain
    bulletin = make_bulletin(tmp_path, sample_server, SHARED, db="" if archive.endswith(".db") else archive)
    before = Counter(sample_server.hits)
    workers = [worker(bulletin, redis_server.url, SHARING) for _ in range(3)]
    time.sleep(1)  # let the workers open (they wait for the seed)
    code, out, seed_err = finish(seed(bulletin, redis_server.url, SHARING))
    assert code == 0, seed_err[-3000:]
    assert "(shared crawl)" in seed_err
    results = [finish(w) for w in workers]
    for code, _, err in results:
        assert code == 0, err[-3000:]
    logs = [seed_err, *(e for _, _, e in results)]
    assert stored_urls(bulletin) == urls, [line for e in logs for line in e.splitlines() if "ERROR" in line]
    # Never a page fetched twice: only what one plain crawl also requests twice (a 500 or a
    # timeout, retried once) was. Which of two links to one article is fetched, and whether an
    # API record is stored before its page is requested, depend on timing, so the URLs
    # themselves may differ a little from the plain crawl's.
    shared = fetched(sample_server, before)
    twice = {url: n for url, n in shared.items() if n > max(1, plain_fetched.get(url, 0))}
    assert not twice
    with bulletin.store() as store:
        by_run = dict(store.conn.execute("SELECT crawl_run_id, COUNT(*) FROM articles GROUP BY crawl_run_id"))
    assert sum(by_run.values()) == len(urls)
    assert len(by_run) >= 2, f"one process stored everything: {by_run}"  # the work was shared

    # A rerun after every worker stopped re-fetches no article (the archive check).
    before = Counter(sample_server.hits)
    code, out, err = finish(seed(bulletin, redis_server.url, PATIENT))
    assert code == 0, err[-3000:]
    refetched = set(fetched(sample_server, before)) & {u for u in plain_fetched if u in urls}
    assert not refetched
    assert stored_urls(bulletin) == urls
    assert "0 new articles" in out


def test_a_worker_started_long_before_the_seed_waits_for_it(
    tmp_path: Path, sample_server: SampleServer, redis_server: RedisServer
) -> None:
    quick = "[redis]\nidle_seconds = 1.0\nwait_seconds = 20.0\n"
    # A crawl seeded before the worker started does not count: the worker waits for a new one.
    (tmp_path / "before").mkdir()
    before = make_bulletin(tmp_path / "before", sample_server, quick)
    code, _, err = finish(seed(before, redis_server.url, PATIENT, "doj"))
    assert code == 0, err[-3000:]
    (tmp_path / "now").mkdir()
    bulletin = make_bulletin(tmp_path / "now", sample_server, quick)
    early = worker(bulletin, redis_server.url, PATIENT, "doj")
    time.sleep(6)  # the worker's start-up, then several times redis.idle_seconds on an empty queue
    assert early.poll() is None, finish(early)[2][-3000:]
    code, _, err = finish(seed(bulletin, redis_server.url, PATIENT, "doj"))
    assert code == 0, err[-3000:]
    code, _, err = finish(early)
    assert code == 0, err[-3000:]
    assert stored_urls(bulletin) == stored_urls(before)


@pytest.mark.ci  # a fault test: run by make test-ci
def test_a_killed_worker_loses_nothing_the_next_seed_does_not_find_again(
    tmp_path: Path,
    sample_server: SampleServer,
    redis_server: RedisServer,
    plain: tuple[set[str], Counter[str]],
) -> None:
    urls, _ = plain
    bulletin = make_bulletin(tmp_path, sample_server, SHARED)
    workers = [worker(bulletin, redis_server.url, SLOW) for _ in range(3)]
    seeding = seed(bulletin, redis_server.url, SLOW)
    wait_for_articles(bulletin, 5)
    workers[0].send_signal(signal.SIGKILL)
    assert article_rows(bulletin) < len(urls), "the crawl ended before the kill"
    assert finish(workers[0])[0] == -signal.SIGKILL
    for proc in [seeding, *workers[1:]]:
        code, _, err = finish(proc)
        assert code == 0, err[-3000:]
        assert "Traceback" not in err
    first = stored_urls(bulletin)
    assert first <= urls
    assert len(first) > 5  # the others went on after the kill
    # What the killed worker had taken from the queue is found again by the next seed.
    before = Counter(sample_server.hits)
    code, out, err = finish(seed(bulletin, redis_server.url, PATIENT))
    assert code == 0, err[-3000:]
    assert stored_urls(bulletin) == urls
    assert not set(fetched(sample_server, before)) & first  # what was stored is not fetched again
    # ...and exactly the rest is stored by that seed ("new" in its table leaves out a syndicated
    # copy of a story already stored, which it counts under "dups": compare the rows).
    with bulletin.store() as store:
        run_id = store.runs(1)[0]["id"]
        by_seed = {
            u for (u,) in store.conn.execute("SELECT url FROM articles WHERE crawl_run_id = ?", (run_id,))
        }
    assert f"run {run_id} finished" in out
    assert by_seed == urls - first


@pytest.mark.ci  # a fault test: run by make test-ci
def test_a_redis_restart_mid_crawl_makes_workers_wait_and_resume(
    tmp_path: Path,
    sample_server: SampleServer,
    redis_server: RedisServer,
    plain: tuple[set[str], Counter[str]],
) -> None:
    urls, plain_fetched = plain
    bulletin = make_bulletin(tmp_path, sample_server, SHARED)
    before = Counter(sample_server.hits)
    workers = [worker(bulletin, redis_server.url, SLOW) for _ in range(2)]
    seeding = seed(bulletin, redis_server.url, SLOW)
    wait_for_articles(bulletin, 5)
    redis_server.stop()
    assert len(stored_urls(bulletin)) < len(urls), "the crawl ended before Redis went away"
    time.sleep(3)
    redis_server.start()
    logs = []
    for proc in [seeding, *workers]:
        code, _, err = finish(proc)
        assert code == 0, err[-3000:]
        assert "Traceback" not in err
        logs.append(err)
    assert any("Redis unreachable" in err and "Redis reachable again" in err for err in logs)

    assert stored_urls(bulletin) == urls
    again = fetched(sample_server, before)
    assert not {url: n for url, n in again.items() if n > max(1, plain_fetched.get(url, 0))}  # none twice


@pytest.mark.ci  # a fault test: run by make test-ci
def test_redis_gone_for_good_stops_the_crawl_with_one_line(
    tmp_path: Path, sample_server: SampleServer, redis_server: RedisServer
) -> None:
    bulletin = make_bulletin(tmp_path, sample_server, "[redis]\nidle_seconds = 2.0\nwait_seconds = 2.0\n")
    seeding = seed(bulletin, redis_server.url, SLOW)
    wait_for_articles(bulletin, 3)
    redis_server.stop()
    try:
        code, out, err = finish(seeding, timeout=30)
    except subprocess.TimeoutExpired:
        seeding.kill()
        _, err = seeding.communicate()
        raise AssertionError(err[-5000:]) from None
    assert code == 1
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"bulletin: error: redis: {redis_server.url} stayed unreachable for 2 s (redis.wait_seconds): "
        "the crawl stopped; what it had not queued is found again by the next `bulletin crawl --redis`"
    )
    assert "run " in out  # what it stored is recorded and reported
    # Starting against a Redis that is not there is refused up front, in one line.
    proc = bulletin.run("worker", "crawl", "--redis", redis_server.url, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith(f"bulletin: error: redis: cannot use {redis_server.url}: ")
