"""A full disk and a read-only archive: each command says so in one line, exits non-zero when it
could not do its job, and leaves an archive that passes ``PRAGMA integrity_check``.

The disk is a real 1 MiB tmpfs and the read-only archive a real read-only bind mount, both
mounted for the test (root only: CI runs as root; elsewhere these tests skip, saying why).
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bulletin.store import Store
from tests.cli_archive import build_archive
from tests.faults.conftest import bulletin, hostile_config
from tests.faults.hostile import hostile_server, static
from tests.review.archive import build as build_review_archive

WORDS = [
    "ministry",
    "state",
    "security",
    "court",
    "espionage",
    "secrets",
    "engineer",
    "sentenced",
    "prison",
    "years",
    "fined",
    "yuan",
    "detained",
    "agency",
    "foreign",
    "intelligence",
    "recruited",
    "online",
    "consultant",
    "paid",
    "documents",
    "military",
    "base",
    "photographs",
    "province",
    "city",
    "company",
    "employee",
    "investigation",
    "confessed",
    "prosecutors",
    "charged",
]


def _mount(*args: str) -> str:
    """Run mount; the error it printed ("" when it worked)."""
    mount = shutil.which("mount")
    if mount is None:
        return "no mount command"
    proc = subprocess.run([mount, *args], capture_output=True, text=True, check=False)
    return "" if proc.returncode == 0 else (proc.stderr.strip() or f"mount exited {proc.returncode}")


def _unmount(path: Path) -> None:
    umount = shutil.which("umount")
    if umount is not None:
        subprocess.run([umount, "-l", str(path)], capture_output=True, check=False)


def _skip_unless_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a filesystem for the test needs root (CI runs as root)")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs mounted for the test."""
    _skip_unless_root()
    disk = tmp_path / "disk"
    disk.mkdir()
    problem = _mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk))
    if problem:
        pytest.skip(f"cannot mount a 1 MiB tmpfs here: {problem}")
    try:
        yield disk
    finally:
        _unmount(disk)


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(a writable folder, a read-only bind mount of it)."""
    _skip_unless_root()
    source, view = tmp_path / "rw", tmp_path / "ro"
    source.mkdir()
    view.mkdir()
    problem = _mount("--bind", str(source), str(view)) or _mount("-o", "remount,bind,ro", str(view))
    if problem:
        _unmount(view)
        pytest.skip(f"cannot make a read-only bind mount here: {problem}")
    try:
        yield source, view
    finally:
        _unmount(view)


def fill(disk: Path) -> None:
    """Take every free byte left on ``disk`` with a filler file."""
    with (disk / "filler").open("wb", buffering=0) as out:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def lines_with(text: str, words: str) -> list[str]:
    return [line for line in text.splitlines() if words in line]


def article_page(n: int) -> bytes:
    rng = random.Random(n)  # noqa: S311 (test text, not security)
    paragraphs = "".join("<p>" + " ".join(rng.choice(WORDS) for _ in range(300)) + ".</p>" for _ in range(10))
    title = f"Case {n}: engineer sentenced for espionage"
    return (
        f'<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head><body><h1>{title}</h1>'
        f'<time datetime="2026-11-30T09:00:00+08:00">Nov 30</time>'
        f"<article>{paragraphs}</article></body></html>"
    ).encode()


def test_a_crawl_that_fills_the_disk_stops_at_once_and_is_recorded_failed(
    tmp_path: Path, small_disk: Path
) -> None:
    paths = [f"/news/{n}" for n in range(120)]  # about 20 KB of text each: far more than 1 MiB
    with hostile_server() as server:
        items = "".join(f"<item><title>{p}</title><link>{server.base}{p}</link></item>" for p in paths)
        feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
        server.route("/feed.xml", static(feed.encode(), "application/rss+xml"))
        for n, path in enumerate(paths):
            server.route(path, static(article_page(n), "text/html; charset=utf-8"))
        config = hostile_config(
            tmp_path,
            f"""
[sources.hostile]
kind = "generic"
feeds = ["{server.base}/feed.xml"]
link_pattern = "/news/"
selectors = {{ title = "h1", body = "article p", date = "time::attr(datetime)" }}
""",
        )
        db = small_disk / "bulletin.db"
        text = config.read_text(encoding="utf-8").replace(str(tmp_path / "bulletin.db"), str(db))
        config.write_text(text, encoding="utf-8")
        proc = bulletin("--config", str(config), "crawl", timeout=120)
        requested = sum(server.hits[p] for p in paths)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    found = lines_with(proc.stderr, "disk full")
    assert len(found) == 1, proc.stderr
    [line] = found
    assert str(db) in line
    assert "the crawl stops" in line
    # Stopped at once: not every page was fetched after the disk filled.
    assert requested < len(paths)
    assert integrity(db) == "ok"
    with Store.open(db, create=False) as store:
        stored = len(list(store.articles()))
        [status] = store.conn.execute("SELECT status FROM crawl_runs").fetchone()
    assert 0 < stored < len(paths)
    assert status == "failed"
    assert f"run 1 failed: {stored} new articles" in proc.stdout
    assert not (small_disk / "bulletin.db.reserve").exists()  # the room held for this is given back


@contextmanager
def held_open(db: Path) -> Iterator[None]:
    """Keep a reader on ``db``, so its -wal and -shm files stay while the disk fills: the
    command run meanwhile opens it and finds the disk full at its first write."""
    with Store.open(db, create=False) as store:
        store.schema_version  # noqa: B018 (a read: the connection maps the -shm)
        yield


def test_extract_on_a_full_disk_says_so_and_keeps_the_records(tmp_path: Path, small_disk: Path) -> None:
    db = small_disk / "bulletin.db"
    build_archive(db)
    before = export(db)
    with held_open(db):
        fill(small_disk)
        proc = bulletin("--db", str(db), "extract", "--redo")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    [line] = lines_with(proc.stderr, "disk full")
    assert line.startswith(f"bulletin: error: {db}: disk full")
    (small_disk / "filler").unlink()
    assert integrity(db) == "ok"
    assert export(db) == before  # the records stored before are all there, unchanged


def test_an_archive_that_cannot_even_be_opened_on_a_full_disk_says_disk_full(
    tmp_path: Path, small_disk: Path
) -> None:
    db = small_disk / "bulletin.db"
    build_archive(db)  # closed: its -wal and -shm files are gone, and opening makes them
    fill(small_disk)
    proc = bulletin("--db", str(db), "extract")
    assert proc.returncode == 1
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith(f"bulletin: error: {db}: disk full")
    (small_disk / "filler").unlink()
    assert integrity(db) == "ok"


def export(db: Path) -> list[dict[str, object]]:
    proc = bulletin("--db", str(db), "export", "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_digest_send_on_a_full_disk_sends_nothing(tmp_path: Path, small_disk: Path) -> None:
    from tests.smtp import smtp_on_loopback

    db = small_disk / "bulletin.db"
    build_archive(db)
    with smtp_on_loopback() as (inbox, port):
        config = hostile_config(
            tmp_path,
            "",
            f"""
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
sender = "watch@example.org"
recipients = ["analyst@example.org"]
""",
        )
        args = ("--config", str(config), "--db", str(db), "digest", "--date", "2026-11-30")
        first = bulletin(*args)  # records the period's window while there is room
        assert first.returncode == 0, first.stderr
        with held_open(db):
            fill(small_disk)
            proc = bulletin(*args, "--send")
        assert not inbox.messages  # the ledger could not say "sending": nothing is sent
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    [line] = lines_with(proc.stderr, "disk full")
    assert line.startswith(f"bulletin: error: {db}: disk full")
    (small_disk / "filler").unlink()
    assert integrity(db) == "ok"
    with Store.open(db, create=False) as store:
        assert store.sent_digest("daily:2026-11-30") is None


def test_a_review_save_on_a_full_disk_is_one_line_on_the_page(tmp_path: Path, small_disk: Path) -> None:
    from bulletin.review import create_app
    from tests.review.conftest import Page

    db = small_disk / "bulletin.db"
    ids = build_review_archive(db)
    client = create_app(str(db), "ana").test_client()
    # No connection open: opening the archive needs room for its -shm file.
    fill(small_disk)
    response = client.get("/")
    assert response.status_code == 507
    [line] = lines_with(response.get_data(as_text=True), "disk full")
    assert '<p class="error" role="alert">' in line
    (small_disk / "filler").unlink()
    # The disk fills while the page is open: the save is refused, with the reason on the page.
    page = Page(client, ids["feng"])
    with held_open(db):
        fill(small_disk)
        response = page.post("verdict", relevant="0")
    assert response.status_code == 507
    [line] = lines_with(response.get_data(as_text=True), "disk full")
    assert '<p class="error" role="alert">' in line
    assert str(db) in line
    (small_disk / "filler").unlink()
    assert integrity(db) == "ok"
    with Store.open(db) as store:
        assert store.corrections(ids["feng"]) == []


def test_a_read_only_archive_is_read_and_writing_commands_say_it_is_read_only(
    tmp_path: Path, read_only_dir: tuple[Path, Path]
) -> None:
    writable, view = read_only_dir
    ids = build_archive(writable / "bulletin.db")
    db = view / "bulletin.db"
    out = tmp_path / "digests"
    config = hostile_config(tmp_path, "")
    for args in (
        ("sources",),
        ("runs", "--crawls"),
        ("show", str(ids["case"])),
        ("export", "--format", "jsonl"),
        ("cases",),
        ("digest", "--date", "2026-11-30", "--out", str(out)),
        ("digest", "--since", "2025-03-01", "--until", "2025-03-31", "--out", str(out)),
    ):
        proc = bulletin("--config", str(config), "--db", str(db), *args)
        assert proc.returncode == 0, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
    assert "Engineer surnamed Feng" in bulletin("--db", str(db), "show", str(ids["case"])).stdout
    assert len(export(db)) == 3
    for args in (
        ("extract", "--redo"),
        ("case", "relink"),
        ("crawl", "http://127.0.0.1:9/news/1"),
        ("review",),
    ):
        proc = bulletin("--config", str(config), "--db", str(db), *args)
        assert proc.returncode == 1, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        [line] = lines_with(proc.stderr, "error")
        assert line.startswith(f"bulletin: error: {db}: the archive is read-only ("), (args, line)
    assert integrity(writable / "bulletin.db") == "ok"


@pytest.fixture
def pg_small_tablespace() -> Iterator[str]:
    """A PostgreSQL cluster of the test's own whose archive tables live on a 1 MiB tmpfs (a
    tablespace there, made the default by the URL); its URL."""
    import tempfile

    import psycopg

    from tests.pg_cluster import Cluster, bin_dir

    _skip_unless_root()
    binaries = bin_dir()
    if binaries is None:
        if os.environ.get("BULLETIN_REQUIRE_PG"):
            pytest.fail("BULLETIN_REQUIRE_PG is set but no initdb is installed")
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) for a server of this test's own")
    with tempfile.TemporaryDirectory(prefix="bulletin-pg-") as root:
        disk = Path(root) / "disk"
        disk.mkdir()
        problem = _mount("-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(disk))
        if problem:
            pytest.skip(f"cannot mount a 1 MiB tmpfs here: {problem}")
        try:
            shutil.chown(disk, "postgres")
            server = Cluster(Path(root), binaries)
            server.start()
            try:
                with psycopg.connect(server.url, autocommit=True) as conn:
                    conn.execute(f"CREATE TABLESPACE small LOCATION '{disk}'")
                yield server.url + "?options=-cdefault_tablespace%3Dsmall"
            finally:
                server.stop()
        finally:
            _unmount(disk)


@pytest.mark.ci
def test_a_crawl_into_postgresql_whose_disk_fills_stops_in_one_line(
    tmp_path: Path, pg_small_tablespace: str
) -> None:
    paths = [f"/news/{n}" for n in range(200)]
    with hostile_server() as server:
        items = "".join(f"<item><title>{p}</title><link>{server.base}{p}</link></item>" for p in paths)
        feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
        server.route("/feed.xml", static(feed.encode(), "application/rss+xml"))
        for n, path in enumerate(paths):
            server.route(path, static(article_page(n), "text/html; charset=utf-8"))
        config = hostile_config(
            tmp_path,
            f"""
[sources.hostile]
kind = "generic"
feeds = ["{server.base}/feed.xml"]
link_pattern = "/news/"
selectors = {{ title = "h1", body = "article p", date = "time::attr(datetime)" }}
""",
        )
        proc = bulletin("--config", str(config), "--db", pg_small_tablespace, "crawl", timeout=180)
        requested = sum(server.hits[p] for p in paths)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    found = lines_with(proc.stderr, "disk full")
    assert len(found) == 1, proc.stderr
    assert "the crawl stops" in found[0]
    assert "could not extend file" in found[0]  # PostgreSQL's own words (SQLSTATE 53100)
    assert requested < len(paths)
    with Store.open(pg_small_tablespace, create=False) as store:
        stored = len(list(store.articles()))
    assert 0 < stored < len(paths)
    assert f"run 1 failed: {stored} new articles" in proc.stdout
