"""A PostgreSQL restart in the middle of a crawl or an extraction: the worker waits and resumes.

Each test runs its own cluster (``tests.pg_cluster``), restarted under a running
`bulletin crawl` or `bulletin worker extract`; the shared test server stays up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bulletin.sample_server import SampleServer
from bulletin.store import Store
from tests.conftest import REPO, Bulletin, make_bulletin
from tests.pg_cluster import Cluster, bin_dir

pytestmark = [pytest.mark.slow, pytest.mark.ci]


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    binaries = bin_dir()
    if binaries is None:
        if os.environ.get("BULLETIN_REQUIRE_PG"):
            pytest.fail("BULLETIN_REQUIRE_PG is set but no initdb is installed")
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) for a server of this test's own")
    # Not under pytest's tmp_path: the postgres user must reach the folder (/tmp is open to all).
    with tempfile.TemporaryDirectory(prefix="bulletin-pg-") as root:
        server = Cluster(Path(root), binaries)
        server.start()
        try:
            yield server
        finally:
            server.stop()


def _start(bulletin: Bulletin, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bulletin", "--config", str(bulletin.config), *args],
        cwd=REPO,
        env={**os.environ, "BULLETIN_CONFIG": "", **bulletin.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[str], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, f"it ended before the restart: {process.communicate()[1][-2000:]}"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _urls(db: str) -> list[str]:
    with Store.open(db) as store:
        return sorted(store.url_counts())


def test_a_crawl_waits_out_a_postgresql_restart_and_stores_everything_once(
    tmp_path: Path, sample_server: SampleServer, cluster: Cluster
) -> None:
    plain = make_bulletin(tmp_path, sample_server)
    plain.run("crawl")
    expected = _urls(str(plain.db))
    shared = Bulletin(plain.config, plain.db)
    # A polite delay, so the crawl is still going when the server restarts.
    shared.env = {"BULLETIN_DB": cluster.url, "BULLETIN_CRAWL_DOWNLOAD_DELAY": "0.3"}
    crawl = _start(shared, "crawl")

    def some_stored() -> bool:
        with Store.open(cluster.url) as store:
            return store.count_articles() >= 3

    _wait_for(some_stored, crawl)
    cluster.restart()
    _, err = crawl.communicate(timeout=300)
    assert crawl.returncode == 0, err[-3000:]
    assert "lost the PostgreSQL connection" in err
    with Store.open(cluster.url) as store:
        assert set(store.url_counts().values()) == {1}
    assert _urls(cluster.url) == expected


def test_an_extraction_worker_waits_out_a_postgresql_restart(
    tmp_path: Path, sample_server: SampleServer, cluster: Cluster
) -> None:
    import nlp

    bulletin = make_bulletin(tmp_path, sample_server, "\n[nlp]\nbatch_size = 4\n")
    bulletin.env = {"BULLETIN_DB": cluster.url}
    bulletin.run("crawl")
    worker = _start(bulletin, "worker", "extract")

    def some_extracted() -> bool:
        with Store.open(cluster.url) as store:
            return store.count_to_extract(nlp.PIPELINE_VERSION) < store.count_articles() - 4

    _wait_for(some_extracted, worker)
    cluster.restart()
    out, err = worker.communicate(timeout=300)
    assert worker.returncode == 0, err[-3000:]
    assert "lost the PostgreSQL connection" in err
    with Store.open(cluster.url) as store:
        articles = store.count_articles()
        assert store.count_to_extract(nlp.PIPELINE_VERSION) == 0
        assert store.live_claims() == 0
    summary = next(line for line in out.splitlines() if " extracted " in line)
    assert f" extracted {articles} articles" in summary  # each once, none twice
