"""`bulletin run` and `bulletin digest --send` end to end on the sample sites."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulletin.config import load_settings
from bulletin.run import run_pipeline
from bulletin.sample_server import SampleServer
from tests.conftest import Bulletin, make_bulletin
from tests.smtp import Inbox, smtp_on_loopback

pytestmark = pytest.mark.slow

GONE = '\n[sources.gone]\nkind = "generic"\nfeeds = ["http://127.0.0.1:9/feed.xml"]\n'
DAY = "2025-03-08"  # the Global Times sample has a case published that day (Beijing time)
HEADLINE = "Former engineer surnamed Feng sentenced to six years"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_on_loopback() as server:
        yield server


@pytest.fixture(scope="module")
def ran(
    tmp_path_factory: pytest.TempPathFactory, sample_server: SampleServer, smtp: tuple[Inbox, int]
) -> tuple[Bulletin, str, str]:
    tmp = tmp_path_factory.mktemp("run")
    extra = (
        GONE
        + f"""
[digest]
timezone = "Asia/Shanghai"
out_dir = "{(tmp / "digests").as_posix()}"
formats = ["html", "txt"]

[smtp]
host = "127.0.0.1"
port = {smtp[1]}
security = "none"
sender = "watch@example.org"
recipients = ["analyst@example.org"]
"""
    )
    bulletin = make_bulletin(tmp, sample_server, extra)
    # Only Global Times and the unreachable source: a quick crawl.
    bulletin.env = {
        f"BULLETIN_SOURCES_{s.upper()}_ENABLED": "false" for s in ("chinadaily", "doj", "prosecutors")
    }
    proc = bulletin.run("run", "--date", DAY, "--send")
    return bulletin, proc.stdout, proc.stderr


def test_run_crawls_extracts_and_renders_despite_a_failing_source(ran: tuple[Bulletin, str, str]) -> None:
    bulletin, out, err = ran
    paths = [Path(line) for line in out.splitlines()]
    assert sorted(p.suffix for p in paths) == [".html", ".txt"]
    html = next(p for p in paths if p.suffix == ".html").read_text(encoding="utf-8")
    text = next(p for p in paths if p.suffix == ".txt").read_text(encoding="utf-8")
    assert HEADLINE in html
    assert HEADLINE in text
    assert "gone" in text  # the digest names the source that failed
    assert "finished with problems" in err
    assert "sources failed: gone" in err
    with bulletin.store() as store:
        [run] = store.pipeline_runs(1)
    assert run["status"] == "finished with problems"
    assert run["extracted"] > 0
    assert run["cases"] >= 1


def test_the_digest_of_a_run_holds_every_case_its_crawl_stored(ran: tuple[Bulletin, str, str]) -> None:
    """Keyed on arrival, not publication: the sample articles were published over weeks in 2025
    (only one on the digest's day), and every relevant one the crawl stored is in the digest."""
    bulletin, out, _ = ran
    text = next(Path(line) for line in out.splitlines() if line.endswith(".txt")).read_text(encoding="utf-8")
    with bulletin.store() as store:
        [run] = store.pipeline_runs(1)
        stored = store.conn.execute(
            """
            SELECT a.title, a.published_utc FROM articles a JOIN extractions e ON e.article_id = a.id
            WHERE a.crawl_run_id = ? AND a.story_id = a.id AND e.relevant = 1
            """,
            (run["crawl_run_id"],),
        ).fetchall()
    assert len({row["published_utc"][:10] for row in stored}) > 3
    assert run["cases"] == len(stored) > 3
    assert [row["title"] for row in stored if row["title"] not in text] == []
    assert f"{len(stored)} new cases" in text


def test_run_mails_the_digest_once_per_period(
    ran: tuple[Bulletin, str, str], smtp: tuple[Inbox, int]
) -> None:
    bulletin, _, _ = ran
    inbox, _ = smtp
    assert len(inbox.messages) == 1
    [message] = inbox.messages
    assert message.get_content_type() == "multipart/alternative"
    assert DAY in message["Subject"]
    again = bulletin.run("digest", "--date", DAY, "--send")
    assert "already sent" in again.stderr
    assert len(inbox.messages) == 1
    bulletin.run("digest", "--date", DAY, "--send", "--resend")
    assert len(inbox.messages) == 2


def test_runs_lists_the_run_and_its_problems(ran: tuple[Bulletin, str, str]) -> None:
    bulletin, _, _ = ran
    listing = bulletin.run("runs").stdout
    assert "finished with problems" in listing
    assert f"daily:{DAY}" in listing
    [row] = [x for x in listing.splitlines() if f"daily:{DAY}" in x]
    assert "sources failed: gone" in row  # the problems column
    # A source that yielded nothing says so in the run's problems, with what happened to it.
    assert "gone: no articles found (requested " in row
    assert "errors unreachable 1)" in row


def _stop_once_crawling(db: Path, stop: threading.Event, timeout: float = 30.0) -> None:
    """Set stop one second after a crawl run is recorded "running" in db (read-only looks), or
    at the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)) as conn:
                if conn.execute("SELECT 1 FROM crawl_runs WHERE status = 'running'").fetchone():
                    time.sleep(1.0)
                    break
        except sqlite3.Error:
            pass  # not created or not migrated yet
        time.sleep(0.1)
    stop.set()


def test_stop_during_the_crawl_abandons_the_run_cleanly(tmp_path: Path, sample_server: SampleServer) -> None:
    """What SIGTERM does to a scheduled run: the crawl child is stopped, the run recorded abandoned."""
    bulletin = make_bulletin(tmp_path, sample_server)
    settings = load_settings(bulletin.config, env={"BULLETIN_SOURCES_DOJ_ENABLED": "false"})
    stop = threading.Event()
    # Global Times has a 6-second page; stop a second after the crawl child has recorded its
    # run (a fixed delay from here raced the child's start-up on a loaded machine).
    threading.Thread(target=_stop_once_crawling, args=(Path(bulletin.db), stop), daemon=True).start()
    started = time.monotonic()
    result = run_pipeline(settings, day=None, stop=stop, out_dir=tmp_path / "out")
    assert result.status == "abandoned"
    assert time.monotonic() - started < 40
    assert any("crawl stopped" in p for p in result.problems)
    with bulletin.store() as store:
        [run] = store.pipeline_runs(1)
        crawl = store.runs(1)[0]
    assert run["status"] == "abandoned"
    assert crawl["status"] != "running"  # Scrapy closed its spiders and the run was recorded
    assert not (tmp_path / "out").exists()  # no digest from an abandoned run


@pytest.mark.parametrize("after_seconds", [0.3, 1.0])
def test_a_crawl_stopped_while_starting_leaves_no_run_running(
    tmp_path: Path, sample_server: SampleServer, after_seconds: float
) -> None:
    """SIGTERM can reach the crawl child before Scrapy has its signal handlers: whatever it
    had recorded by then, no crawl run is left "running" once the pipeline run is over."""
    bulletin = make_bulletin(tmp_path, sample_server)
    settings = load_settings(bulletin.config, env={"BULLETIN_SOURCES_DOJ_ENABLED": "false"})
    stop = threading.Event()
    threading.Timer(after_seconds, stop.set).start()
    result = run_pipeline(settings, day=None, stop=stop, out_dir=tmp_path / "out")
    assert result.status == "abandoned"
    with bulletin.store() as store:
        assert all(run["status"] != "running" for run in store.runs(5))
