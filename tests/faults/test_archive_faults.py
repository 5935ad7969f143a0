"""Archives that are not ours, from the future, or damaged: refused in one line naming the file,
and left exactly as they were found."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bulletin.errors import StoreError
from bulletin.records import Article
from bulletin.store import APPLICATION_ID, MIGRATIONS, Store
from tests.faults.conftest import bulletin


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    [line] = [line for line in stderr.splitlines() if line.startswith("bulletin: error:")]
    return line


def test_a_new_archive_is_marked_as_ours(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    Store.open(db).close()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    conn.close()


def test_an_unmarked_archive_from_before_the_mark_is_adopted(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    Store.open(db).close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA application_id = 0")
    conn.execute("PRAGMA user_version = 0")
    conn.close()
    Store.open(db).close()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()


@pytest.mark.parametrize("marked", [True, False], ids=["other-application-id", "unmarked-foreign-tables"])
def test_another_applications_database_is_refused_and_left_untouched(tmp_path: Path, marked: bool) -> None:
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('mine')")
    if marked:
        conn.execute("PRAGMA application_id = 1234")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    proc = bulletin("--db", str(db), "crawl", "https://127.0.0.1:9/x")
    assert proc.returncode == 1
    line = one_error_line(proc.stderr)
    assert line.startswith(f"bulletin: error: {db}: not a Bulletin Watch archive")
    assert db.read_bytes() == before  # not given our 9 tables, not switched to WAL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_a_future_schema_archive_is_refused_before_anything_changes(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with Store.open(db) as store:
        store.conn.execute("INSERT INTO schema_migrations VALUES (99, 'later')")
        store.conn.execute("PRAGMA journal_mode = DELETE")
    before = db.read_bytes()
    assert before[18:20] == b"\x01\x01"  # rollback-journal file format, not WAL
    with pytest.raises(StoreError, match="schema version 99 is newer"):
        Store.open(db)
    assert db.read_bytes() == before


def test_a_damaged_archive_is_one_line_naming_the_file(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with Store.open(db) as store:
        for n in range(200):
            article = Article(
                source="x",
                url=f"https://x.example/{n}",
                title=f"T{n}",
                text="word " * 400,
                fetched_at=datetime.now(UTC),
            )
            store.save_article(article, None, None)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = db.stat().st_size
    with db.open("r+b") as fh:  # garbage over the middle pages, where the article texts are
        fh.seek(size // 2)
        fh.write(random.Random(10).randbytes(4096 * 8))  # noqa: S311 (seeded: the same damage every run)
    proc = bulletin("--db", str(db), "export")
    assert proc.returncode == 1
    line = one_error_line(proc.stderr)
    assert line.startswith(f"bulletin: error: {db}: database error:")

    db.write_bytes(b"this is not a database, just text " * 200)
    proc = bulletin("--db", str(db), "runs")
    assert proc.returncode == 1
    assert one_error_line(proc.stderr).startswith(f"bulletin: error: {db}: not a usable SQLite database")
