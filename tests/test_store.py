"""The archive: migrations, upserts keyed by URL, story links, run figures."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bulletin.errors import StoreError
from bulletin.records import Article, CrawlStats
from bulletin.similarity import signature
from bulletin.store import MIGRATIONS, Store

TEXT = " ".join(
    f"sentence {i} about a retired engineer surnamed Feng and a consulting firm" for i in range(30)
)


def article(url: str = "https://www.globaltimes.cn/page/202503/1330012.shtml", text: str = TEXT) -> Article:
    return Article(
        source="globaltimes",
        url=url,
        title="Feng sentenced",
        text=text,
        fetched_at=datetime(2025, 3, 9, tzinfo=UTC),
        published_at=datetime(2025, 3, 8, 16, 14, tzinfo=timezone(timedelta(hours=8))),
        raw_html="<html>page</html>",
        relevant=True,
        relevance=9.5,
    )


@pytest.fixture
def store() -> Store:
    return Store.open(":memory:")


def test_fresh_database_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.db") as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with Store.open(tmp_path / "a.db") as again:  # reopening runs nothing twice
        assert again.schema_version == len(MIGRATIONS)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.db") as store:
        store.conn.execute("INSERT INTO schema_migrations VALUES (99, 'later')")
    with pytest.raises(StoreError, match="newer than this program"):
        Store.open(tmp_path / "a.db")


def test_not_a_database_is_a_one_line_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable SQLite database"):
        Store.open(junk)


def test_new_then_unchanged_then_updated(store: Store) -> None:
    first = store.save_article(article(), run_id=None, sig=signature(TEXT))
    assert first.status == "new"
    assert first.story_id == first.id
    assert store.save_article(article(), None, signature(TEXT)).status == "unchanged"
    changed = article(text=TEXT + " A correction was appended.")
    assert store.save_article(changed, None, signature(changed.text)).status == "updated"
    [stored] = list(store.articles())
    assert stored.text.endswith("appended.")
    assert stored.published_at == article().published_at
    assert stored.published_at is not None
    assert stored.published_at.utcoffset() == timedelta(hours=8)
    assert stored.id is not None
    assert store.raw_html(stored.id) == "<html>page</html>"


def test_near_copy_under_another_url_joins_the_story(store: Store) -> None:
    original = store.save_article(article(), None, signature(TEXT))
    copy = article(
        url="https://www.chinadaily.com.cn/a/202503/09/WS0.html",
        text=TEXT.replace("sentence 3 ", "line 3 ").replace("sentence 9 ", "item 9 "),
    )
    story = store.find_story(copy, signature(copy.text), threshold=0.8)
    assert story == original.story_id
    unrelated = article(url="https://x.example/2", text=" ".join(f"word{i}" for i in range(200)))
    assert store.find_story(unrelated, signature(unrelated.text), threshold=0.8) is None


def test_exact_copy_is_found_by_content_hash_even_when_short(store: Store) -> None:
    short = article(text="A short wire item about the case.")
    original = store.save_article(short, None, signature(short.text))
    copy = dataclasses.replace(short, url="https://other.example/item")
    assert signature(copy.text) is None
    assert store.find_story(copy, None, threshold=0.8) == original.story_id


def test_run_figures_round_trip(store: Store) -> None:
    run = store.start_run("bulletin crawl")
    stats = CrawlStats(
        source="doj",
        requested=10,
        found=8,
        new=5,
        duplicates=1,
        skipped=2,
        errors=1,
        dropped={"challenge": 1},
        error_kinds={"timeout": 1},
        blocked=True,
    )
    store.record_source_stats(run, stats)
    store.finish_run(run)
    assert store.run_stats(run) == [stats]
    assert store.runs(1)[0]["status"] == "finished"


def test_each_write_is_committed_before_it_returns(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.db") as store:
        store.save_article(article(), None, signature(TEXT))
        # Another connection sees it at once: nothing waits for a later commit.
        other = sqlite3.connect(tmp_path / "a.db")
        assert other.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
        other.close()


def _open_and_close(path: str) -> int:
    with Store.open(path) as store:
        return store.schema_version


def test_processes_opening_a_fresh_database_at_once_migrate_it_once(tmp_path: Path) -> None:
    """A crawl child, the scheduler and the tests may all open a new archive at the same moment."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        for n in range(5):
            path = str(tmp_path / f"fresh{n}.db")
            assert pool.map(_open_and_close, [path] * 4) == [len(MIGRATIONS)] * 4
