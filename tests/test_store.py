"""The archive: migrations, upserts keyed by URL, story links, run figures.

Tests taking ``archive`` (or ``store``) run twice: on a SQLite file and on a PostgreSQL schema
(skipped, and said so, when no server is configured; see ``conftest.pg_server``).
"""

from __future__ import annotations

import dataclasses
import socket
import sys
from collections.abc import Iterator
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
def store(archive: str) -> Iterator[Store]:
    with Store.open(archive) as opened:
        yield opened


def test_fresh_database_is_migrated_to_the_latest_version(archive: str) -> None:
    with Store.open(archive) as store:
        assert store.schema_version == len(MIGRATIONS)
        if store.backend == "sqlite":
            assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with Store.open(archive) as again:  # reopening runs nothing twice
        assert again.schema_version == len(MIGRATIONS)
        assert again.conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)


def test_newer_schema_is_refused(archive: str) -> None:
    with Store.open(archive) as store, store.transaction():
        store.conn.execute("INSERT INTO schema_migrations VALUES (99, 'later')")
    with pytest.raises(StoreError, match="newer than this program"):
        Store.open(archive)


def test_read_only_commands_do_not_create_an_archive(archive: str) -> None:
    with pytest.raises(StoreError, match="no archive there yet"):
        Store.open(archive, create=False)


def test_another_applications_postgresql_schema_is_refused_untouched(pg_url: str) -> None:
    import psycopg

    from bulletin.database import libpq_url

    with psycopg.connect(libpq_url(pg_url), autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(StoreError, match=r"not a Bulletin Watch archive .*invoices"):
        Store.open(pg_url)
    with psycopg.connect(libpq_url(pg_url), autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
    assert tables == [("invoices",)]


def test_an_unreachable_postgresql_server_is_a_one_line_error() -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://bulletin:secret@127.0.0.1:{port}/archive"
    with pytest.raises(StoreError) as caught:
        Store.open(url)
    message = str(caught.value)
    assert message.startswith(
        f"postgresql://bulletin:***@127.0.0.1:{port}/archive: cannot connect to PostgreSQL"
    )
    assert "secret" not in message
    assert "\n" not in message


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


def test_each_write_is_committed_before_it_returns(archive: str) -> None:
    with Store.open(archive) as store:
        store.save_article(article(), None, signature(TEXT))
        # Another connection sees it at once: nothing waits for a later commit.
        with Store.open(archive) as other:
            assert other.conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 1


def test_a_failed_transaction_leaves_nothing(store: Store) -> None:
    def half_way() -> None:
        with store.transaction():
            store.conn.execute(
                "INSERT INTO passed_over (url, source, reason, seen_at) VALUES (?, ?, ?, ?)",
                ("u", "s", "r", "t"),
            )
            raise RuntimeError("half-way")

    with pytest.raises(RuntimeError):
        half_way()
    assert not store.passed_over("u")


def test_text_sorts_by_byte_order_on_both_backends(store: Store) -> None:
    """ISO times, queue keys and URLs must sort as SQLite sorts them, whatever the server's locale."""
    for url in ("b", "B", "a-b", "ab", "a_b"):
        store.pass_over(url, "s", "r")
    rows = store.conn.execute("SELECT url FROM passed_over ORDER BY url").fetchall()
    assert [row[0] for row in rows] == ["B", "a-b", "a_b", "ab", "b"]


def _open_and_close(path: str) -> int:
    with Store.open(path) as store:
        return store.schema_version


def test_processes_opening_a_fresh_database_at_once_migrate_it_once(archive: str, tmp_path: Path) -> None:
    """A crawl child, the scheduler and the tests may all open a new archive at the same moment."""
    import multiprocessing

    # Five fresh SQLite files; PostgreSQL's fresh schema once (each schema costs a server round).
    targets = [str(tmp_path / f"fresh{n}.db") for n in range(5)] if archive.endswith(".db") else [archive]
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        for target in targets:
            assert pool.map(_open_and_close, [target] * 4) == [len(MIGRATIONS)] * 4


def test_without_the_postgres_extra_a_url_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as on an install without [postgres]
    with pytest.raises(StoreError, match=r"needs psycopg: pip install 'bulletin-watch\[postgres\]'"):
        Store.open("postgresql://bulletin@127.0.0.1/archive")
