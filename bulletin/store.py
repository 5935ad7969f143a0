"""The archive: the only module that speaks SQL, with versioned migrations.

SQLite (a file: stdlib sqlite3, WAL) is the default; a ``postgresql://`` URL opens a
PostgreSQL archive instead. Every statement is written once, in ``?`` style and in SQL both
accept (``INSERT … ON CONFLICT``, ``RETURNING``, window functions); ``bulletin.database``
holds what differs (connections, the write lock, the migrations' column types).

Everything that writes commits before it returns, so a process killed at any moment
loses nothing it already reported stored.
"""

from __future__ import annotations

import errno
import functools
import json
import logging
import os
import re
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

from bulletin import database, search_index
from bulletin.corrections import Correction, confirmed, queue_fields
from bulletin.corrections import apply as apply_corrections
from bulletin.errors import DiskFullError, ReadOnlyError, StaleReviewError, StoreError
from bulletin.processes import Owner, this_process
from bulletin.records import (
    Article,
    Case,
    CaseCorrection,
    CaseFile,
    CaseLink,
    CaseReport,
    CaseSummary,
    CrawlStats,
    SourceLink,
    extraction_from_json,
    stage_of,
)
from bulletin.similarity import Signature

logger = logging.getLogger(__name__)
_Method = TypeVar("_Method", bound=Callable[..., Any])

# Each migration runs once, in order, inside one transaction; the version is recorded in
# schema_migrations. Never edit a released migration: append a new one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE crawl_runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL DEFAULT 'running',
        command TEXT
    );
    CREATE TABLE crawl_run_sources (
        run_id INTEGER NOT NULL REFERENCES crawl_runs(id),
        source TEXT NOT NULL,
        requested INTEGER NOT NULL DEFAULT 0,
        found INTEGER NOT NULL DEFAULT 0,
        new INTEGER NOT NULL DEFAULT 0,
        updated INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        dropped TEXT NOT NULL DEFAULT '{}',
        error_kinds TEXT NOT NULL DEFAULT '{}',
        blocked INTEGER NOT NULL DEFAULT 0,
        finished_at TEXT,
        PRIMARY KEY (run_id, source)
    );
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        title TEXT NOT NULL,
        published_at TEXT,
        published_utc TEXT,
        byline TEXT,
        section TEXT,
        lang TEXT NOT NULL DEFAULT 'en',
        text TEXT NOT NULL,
        raw_html BLOB,
        content_hash TEXT NOT NULL,
        minhash BLOB,
        relevant INTEGER,
        relevance REAL,
        story_id INTEGER REFERENCES articles(id),
        fetched_at TEXT NOT NULL,
        updated_at TEXT,
        crawl_run_id INTEGER REFERENCES crawl_runs(id)
    );
    CREATE INDEX articles_source_published ON articles(source, published_utc);
    CREATE INDEX articles_content_hash ON articles(content_hash);
    CREATE INDEX articles_story ON articles(story_id);
    CREATE TABLE article_bands (
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        band INTEGER NOT NULL,
        hash INTEGER NOT NULL
    );
    CREATE INDEX article_bands_lookup ON article_bands(band, hash);
    """,
    # 2: extraction records (the spec's JSON), one per article, tagged with the pipeline
    # version that made them so a rule change can re-extract just what is stale.
    """
    CREATE TABLE extractions (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        pipeline_version TEXT NOT NULL,
        relevant INTEGER NOT NULL,
        record TEXT NOT NULL,
        extracted_at TEXT NOT NULL
    );
    CREATE INDEX extractions_version ON extractions(pipeline_version);
    """,
    # 3: what `bulletin run` did each time, and which digest periods were mailed (so a
    # re-run or a restart never sends the same period twice).
    """
    CREATE TABLE pipeline_runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL DEFAULT 'running',
        trigger TEXT NOT NULL,
        period TEXT,
        crawl_run_id INTEGER REFERENCES crawl_runs(id),
        extracted INTEGER NOT NULL DEFAULT 0,
        cases INTEGER NOT NULL DEFAULT 0,
        outputs TEXT NOT NULL DEFAULT '[]',
        problems TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE digest_ledger (
        period TEXT PRIMARY KEY,
        period_start TEXT NOT NULL,
        period_end TEXT NOT NULL,
        recipients TEXT NOT NULL,
        message_id TEXT NOT NULL,
        sent_at TEXT NOT NULL
    );
    """,
    # 4: article URLs looked at and deliberately not stored (not a security case while
    # only_relevant was on), so later runs need not request them again.
    """
    CREATE TABLE passed_over (
        url TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        reason TEXT NOT NULL,
        seen_at TEXT NOT NULL
    );
    """,
    # 5: when each article first reached the archive, which a refresh never moves (fetched_at
    # is the last fetch), and the arrival window each daily or weekly digest covered, so that
    # consecutive digests neither overlap nor leave a gap. Rows stored before this migration
    # get their fetch time: for an article updated since, that is the update, the best left.
    """
    ALTER TABLE articles ADD COLUMN first_stored_at TEXT;
    UPDATE articles SET first_stored_at = fetched_at;
    CREATE INDEX articles_first_stored ON articles(first_stored_at);
    CREATE TABLE digest_windows (
        period TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        period_start TEXT NOT NULL,
        period_end TEXT NOT NULL,
        stored_from TEXT NOT NULL,
        stored_until TEXT NOT NULL,
        built_at TEXT NOT NULL
    );
    CREATE INDEX digest_windows_kind ON digest_windows(kind, stored_until);
    """,
    # 6: the review page. An analyst's corrections are rows of their own, never written over
    # the machine's record; `reviews` holds each reviewed article's state and the version
    # counter that makes a second reviewer's stale save fail instead of overwriting. The
    # extraction gets the columns the review queue sorts and filters on (filled by
    # save_extraction; rows extracted before are filled by reindex_review_queue).
    """
    CREATE TABLE corrections (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        reviewer TEXT NOT NULL,
        made_at TEXT NOT NULL,
        action TEXT NOT NULL,
        kind TEXT NOT NULL,
        target TEXT,
        before TEXT,
        value TEXT,
        pipeline_version TEXT,
        undone_at TEXT
    );
    CREATE INDEX corrections_article ON corrections(article_id, id);
    CREATE TABLE reviews (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        version INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'started',
        conflicts INTEGER NOT NULL DEFAULT 0,
        reviewer TEXT,
        updated_at TEXT
    );
    ALTER TABLE extractions ADD COLUMN relevance REAL;
    ALTER TABLE extractions ADD COLUMN review_priority INTEGER;
    ALTER TABLE extractions ADD COLUMN tactic_labels TEXT;
    ALTER TABLE extractions ADD COLUMN subject_names TEXT;
    ALTER TABLE extractions ADD COLUMN source TEXT;
    ALTER TABLE extractions ADD COLUMN published_day TEXT;
    ALTER TABLE extractions ADD COLUMN story_lead INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE extractions ADD COLUMN reviewed INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE extractions ADD COLUMN queue_key TEXT;
    CREATE INDEX extractions_queue ON extractions(story_lead, reviewed, queue_key);
    """,
    # 7: case files (issue 12): stories that report one prosecution, linked after extraction
    # (bulletin/cases.py), with each link's score; candidate links wait for an analyst. Both
    # tables are rebuilt whole by each relink. case_corrections holds the analyst's merges,
    # splits, confirmations and rejections as pairs of stories, which every relink obeys.
    """
    CREATE TABLE cases (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        subjects TEXT NOT NULL DEFAULT '[]',
        stage TEXT,
        stage_date TEXT,
        first_published TEXT,
        last_published TEXT,
        reports INTEGER NOT NULL DEFAULT 0,
        linked_at TEXT NOT NULL
    );
    CREATE INDEX cases_last_published ON cases(last_published);
    CREATE TABLE case_links (
        story_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('linked', 'candidate')),
        score REAL NOT NULL,
        reasons TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (story_id, case_id)
    );
    CREATE UNIQUE INDEX case_links_one_case ON case_links(story_id) WHERE status = 'linked';
    CREATE INDEX case_links_case ON case_links(case_id, status);
    CREATE TABLE case_corrections (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('same', 'different')),
        story_a INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        story_b INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        action TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        made_at TEXT NOT NULL
    );
    CREATE INDEX case_corrections_pair ON case_corrections(story_a, story_b);
    """,
    # 8: the process behind each crawl and pipeline run (host, pid and a pid-reuse token, see
    # bulletin/processes.py) and a pipeline run's crawl child, so a run left 'running' by a
    # process that died is found, closed and (when scheduled) run again, and an orphaned
    # crawl child stopped; and each digest mail's state, 'sending' from just before the SMTP
    # exchange to 'sent' once the server accepted the message, so an interrupted send is
    # never silently repeated; and the pages of each source read in another encoding than
    # they declared.
    """
    ALTER TABLE crawl_runs ADD COLUMN host TEXT;
    ALTER TABLE crawl_runs ADD COLUMN pid INTEGER;
    ALTER TABLE crawl_runs ADD COLUMN pid_token TEXT;
    ALTER TABLE pipeline_runs ADD COLUMN host TEXT;
    ALTER TABLE pipeline_runs ADD COLUMN pid INTEGER;
    ALTER TABLE pipeline_runs ADD COLUMN pid_token TEXT;
    ALTER TABLE pipeline_runs ADD COLUMN crawl_pid INTEGER;
    ALTER TABLE pipeline_runs ADD COLUMN crawl_pid_token TEXT;
    ALTER TABLE digest_ledger ADD COLUMN status TEXT NOT NULL DEFAULT 'sent';
    ALTER TABLE crawl_run_sources ADD COLUMN redecoded TEXT NOT NULL DEFAULT '{}';
    """,
    # 9: parallel extraction (issue 11): the articles a `bulletin worker extract` process has
    # claimed, until when. A claim is deleted once its record is stored; a worker that dies
    # leaves its claims to expire, and the next worker to look takes them over.
    """
    CREATE TABLE extraction_claims (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        pipeline_version TEXT NOT NULL,
        worker TEXT NOT NULL,
        claimed_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX extraction_claims_expiry ON extraction_claims(expires_at);
    """,
    # 10: crawl truth (issue 17): per source and run, the article bodies that did not hold
    # the page's own description (text may have been lost), and the publication dates
    # rejected as impossible (in the future, before the site existed), by where they were read.
    """
    ALTER TABLE crawl_run_sources ADD COLUMN body_suspect INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE crawl_run_sources ADD COLUMN rejected_dates TEXT NOT NULL DEFAULT '{}';
    """,
    # 11: watchlists (issue 20): named sets of rules an analyst follows (bulletin/watchlists.py),
    # with the time up to which the archive was checked against each, and the alerts they
    # raised: one row per watchlist, story and version of what matched (so an alert is raised
    # once), with the state of its mail and of its webhook delivery.
    """
    CREATE TABLE watchlists (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        rules TEXT NOT NULL DEFAULT '{}',
        emails TEXT NOT NULL DEFAULT '[]',
        webhook TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        checked_until TEXT NOT NULL
    );
    CREATE TABLE watch_alerts (
        id INTEGER PRIMARY KEY,
        watchlist_id INTEGER NOT NULL REFERENCES watchlists(id) ON DELETE CASCADE,
        story_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        version TEXT NOT NULL,
        raised_at TEXT NOT NULL,
        alert TEXT NOT NULL,
        mail_status TEXT NOT NULL DEFAULT 'none',
        mail_error TEXT,
        webhook_status TEXT NOT NULL DEFAULT 'none',
        webhook_attempts INTEGER NOT NULL DEFAULT 0,
        webhook_error TEXT,
        UNIQUE (watchlist_id, story_id, version)
    );
    CREATE INDEX watch_alerts_list ON watch_alerts(watchlist_id, id);
    """,
    # 12: full-text search (issue 20): an FTS5 table on SQLite, a tsvector with a GIN index on
    # PostgreSQL, filled from the archive (bulletin/search_index.py); a migration that differs
    # by backend is written in Python (database.CodeMigration).
    search_index.MIGRATION,
]

_CASE_SELECT = (
    "SELECT c.*, (SELECT count(*) FROM case_links k WHERE k.case_id = c.id AND k.status = 'candidate')"
    " AS candidates FROM cases c"
)
ARTICLE_COLUMNS = (
    "id, url, source, title, published_at, byline, section, lang, text, relevant, relevance, "
    "story_id, fetched_at"
)


@dataclass(frozen=True, slots=True)
class DigestWindow:
    """The arrival window ``[stored_from, stored_until)`` a daily or weekly digest covered."""

    period: str
    kind: str
    stored_from: datetime
    stored_until: datetime


@dataclass(frozen=True, slots=True)
class Saved:
    """What ``save_article`` did: ``status`` is new, updated or unchanged."""

    id: int
    status: str
    story_id: int


def utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _utc(moment: datetime) -> str:
    """A UTC timestamp with fixed-width microseconds, so that text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _retried(method: _Method) -> _Method:
    """A write that may simply be done again (an upsert keyed by what it writes): on
    PostgreSQL, when the connection went in the middle of it (the server restarted), it is
    done once more on a new connection, after the server is back, instead of failing."""

    @functools.wraps(method)
    def again(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            if not (self.postgres and self.conn.lost(exc)):
                raise
            logger.warning("%s: connection lost during %s; doing it again", self.path, method.__name__)
            return method(self, *args, **kwargs)

    return cast(_Method, again)


class Store:
    """The archive. Open with ``Store.open(path or URL)``; ``":memory:"`` works for tests.

    ``clock`` gives the times recorded about articles (first stored, updated, extracted),
    which decide the digest they belong to; tests inject one. ``conn`` is a
    ``sqlite3.Connection`` or, for PostgreSQL, a ``database.PostgresConnection`` with the
    same ``execute``; ``path`` is the file or the URL with its password masked.
    """

    def __init__(self, conn: Any, path: str, clock: Callable[[], datetime] = utcnow):
        self.conn = conn
        self.path = path
        self.clock = clock
        self.postgres = isinstance(conn, database.PostgresConnection)
        # Why this archive can only be read ("" when it can be written): see ``read_only()``.
        self.read_only = ""

    @classmethod
    def open(cls, path: str | Path, create: bool = True, clock: Callable[[], datetime] = utcnow) -> Store:
        """Open (and migrate) the archive at ``path``.

        ``create=False`` is for commands that only read: a missing file is a
        ``StoreError`` saying how to create it, instead of a new, empty archive that
        hides a wrong ``--config`` or ``--db``. ``clock`` is injected by tests.
        """
        path = str(path)
        if database.is_url(path):
            return cls._open_postgres(path, create, clock)
        if not create and path != ":memory:" and not Path(path).expanduser().is_file():
            raise StoreError(
                f"{path}: no archive there yet (run `bulletin crawl` to create it, "
                "or pass the --config/--db of an existing one)"
            )
        if path != ":memory:":
            why = read_only(Path(path).expanduser())
            if why and create:
                raise ReadOnlyError(
                    f"{path}: the archive is read-only ({why}); this command writes to it: "
                    "run it on a writable copy, or remount the archive read-write"
                )
            if why:
                return cls._open_read_only(str(Path(path).expanduser()), why, clock)
            try:
                Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{path}: cannot create the database folder: {exc.strerror}") from None
            path = str(Path(path).expanduser())
        conn = None
        try:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            # Everything before this line only reads: a foreign or future-schema file is
            # refused exactly as it was found (not even switched to WAL).
            _check_archive(conn, path)
            _configure(conn, path)
            store = cls(conn, path, clock)
            store.migrate()
            store._mark()
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            if path != ":memory:" and (disk_full(exc) or no_space(Path(path).parent)):
                # Opening makes the WAL's -wal and -shm files: on a full disk, an I/O error.
                raise DiskFullError(
                    f"{path}: disk full ({exc}; no space left on its file system): "
                    "free some space and run the command again"
                ) from None
            raise StoreError(f"{path}: not a usable SQLite database: {exc}") from None
        except StoreError:
            if conn is not None:
                conn.close()
            raise
        return store

    @classmethod
    def _open_read_only(cls, path: str, why: str, clock: Callable[[], datetime]) -> Store:
        """Open an archive that cannot be written (a read-only mount, a file not ours to
        write) for reading: ``mode=ro``, or ``immutable=1`` when SQLite cannot make the
        WAL's shared-memory file beside it (the folder is read-only too). Writes are then
        refused by ``transaction()`` with one line, ``ReadOnlyError``."""
        uri = Path(path).absolute().as_uri()
        conn = None
        for flags in ("mode=ro", "mode=ro&immutable=1"):
            try:
                conn = sqlite3.connect(f"{uri}?{flags}", uri=True, timeout=30, isolation_level=None)
                _check_archive(conn, path)
                break
            except sqlite3.OperationalError as exc:
                if conn is not None:
                    conn.close()
                    conn = None
                if "unable to open" not in str(exc) or flags.endswith("immutable=1"):
                    raise StoreError(f"{path}: not a usable SQLite database: {exc}") from None
            except sqlite3.DatabaseError as exc:
                if conn is not None:
                    conn.close()
                raise StoreError(f"{path}: not a usable SQLite database: {exc}") from None
            except StoreError:
                if conn is not None:
                    conn.close()
                raise
        assert conn is not None  # noqa: S101 (the loop breaks with one, or raises)
        conn.row_factory = sqlite3.Row
        store = cls(conn, path, clock)
        store.read_only = why
        try:
            version = store.schema_version
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{path}: not a usable SQLite database: {exc}") from None
        if version < len(MIGRATIONS):
            conn.close()
            raise ReadOnlyError(
                f"{path}: the archive is read-only ({why}) and at schema version {version}, older "
                f"than this program's {len(MIGRATIONS)}: open it once where it can be written to upgrade it"
            )
        logger.debug("%s: opened read-only (%s)", path, why)
        return store

    @classmethod
    def _open_postgres(cls, url: str, create: bool, clock: Callable[[], datetime]) -> Store:
        conn = database.connect_postgres(url)
        try:
            tables = database.postgres_tables(conn)
            label = database.shown(url)
            if not create and "schema_migrations" not in tables:
                raise StoreError(
                    f"{label}: no archive there yet (run `bulletin crawl` to create it, "
                    "or pass the --config/--db of an existing one)"
                )
            if tables and ("schema_migrations" not in tables or not tables <= _OUR_TABLES):
                raise StoreError(
                    f"{label}: not a Bulletin Watch archive (its schema holds other tables: "
                    f"{', '.join(sorted(tables - _OUR_TABLES)[:5])}); nothing was changed; "
                    "pass the URL of an empty database or schema"
                )
            store = cls(conn, label, clock)
            store.migrate()
        except BaseException:
            conn.close()
            raise
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self, lock: bool = True) -> Iterator[Any]:
        """One write transaction, committed on success and rolled back on error.

        IMMEDIATE takes the write lock up front, so two crawlers on one file queue
        instead of failing half-way with "database is locked"; on PostgreSQL an advisory
        lock does the same (``database.PostgresConnection.transaction``), unless ``lock``
        is False: the statements then rely on row locks (claiming extraction work).
        """
        if self.read_only:
            raise ReadOnlyError(
                f"{self.path}: the archive is read-only ({self.read_only}); this command writes to it: "
                "run it on a writable copy, or remount the archive read-write"
            )
        try:
            if self.postgres:
                with self.conn.transaction(lock=lock):
                    yield self.conn
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                # SQLite may have rolled back itself (a full disk): only roll back what is open.
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        except Exception as exc:
            if not disk_full(exc):
                raise
            if not self.postgres and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise DiskFullError(
                f"{self.path}: disk full ({database.first_line(exc)}): nothing of this write was kept; "
                "free some space and run the command again"
            ) from None

    # -- schema -----------------------------------------------------------------------

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return "postgresql" if self.postgres else "sqlite"

    @property
    def schema_version(self) -> int:
        row = self.conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def _mark(self) -> None:
        """Stamp the file as ours: ``application_id`` (what `file` and other tools read) and
        ``user_version`` = the schema version. Written only when they differ."""
        if self.path == ":memory:" or self.postgres:
            return
        version = self.schema_version
        try:
            if self.conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            if self.conn.execute("PRAGMA user_version").fetchone()[0] != version:
                self.conn.execute(f"PRAGMA user_version = {int(version)}")
        except sqlite3.OperationalError as exc:  # a read-only copy of an older archive: read it as it is
            logger.debug("%s: not marked as an archive (%s)", self.path, exc)

    def _ddl(self, statement: str) -> str:
        return database.postgres_ddl(statement) if self.postgres else statement

    def migrate(self) -> None:
        create = self._ddl(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        if self.postgres:  # two processes creating it at once would collide: under the write lock
            with self.transaction():
                self.conn.execute(create)
        else:
            self.conn.execute(create)
        current = self.schema_version
        if current > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: database schema version {current} is newer than this program "
                f"({len(MIGRATIONS)}); upgrade bulletin-watch"
            )
        for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
            with self.transaction():
                # Another process (a crawl child, the scheduler) may have applied it while
                # this one waited for the write lock: check again under the lock.
                if self.schema_version >= version:
                    continue
                if isinstance(script, database.CodeMigration):
                    script.run(self)
                else:
                    for statement in filter(str.strip, script.split(";")):
                        self.conn.execute(self._ddl(statement))
                self.conn.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    (version, _iso(utcnow())),
                )
            logger.info("migrated %s to schema version %d", self.path, version)

    # -- crawl runs ---------------------------------------------------------------------

    def start_run(self, command: str, owner: Owner | None = None) -> int:
        """Record a crawl run as running in ``owner`` (default: this process)."""
        owner = owner or this_process()
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO crawl_runs (started_at, command, host, pid, pid_token)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                (_iso(utcnow()), command, owner.host, owner.pid, owner.token),
            )
            return int(cur.fetchone()[0])

    def running_runs(self) -> list[tuple[int, Owner | None]]:
        """Crawl runs still marked running, with the process recorded for each (None: not recorded)."""
        rows = self.conn.execute(
            "SELECT id, host, pid, pid_token FROM crawl_runs WHERE status = 'running' ORDER BY id"
        ).fetchall()
        return [(int(r["id"]), _owner(r["host"], r["pid"], r["pid_token"])) for r in rows]

    def close_run(self, run_id: int, status: str) -> bool:
        """Finish a crawl run that is still running (a no-op, False, once anything closed it)."""
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE crawl_runs SET finished_at = ?, status = ? WHERE id = ? AND status = 'running'",
                (_iso(utcnow()), status, run_id),
            )
            return bool(cur.rowcount > 0)

    def finish_run(self, run_id: int, status: str = "finished") -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE crawl_runs SET finished_at = ?, status = ? WHERE id = ?",
                (_iso(utcnow()), status, run_id),
            )

    @_retried
    def record_source_stats(self, run_id: int, stats: CrawlStats) -> None:
        with self.transaction():
            self.conn.execute(
                """
                INSERT INTO crawl_run_sources
                    (run_id, source, requested, found, new, updated, duplicates, skipped, errors, dropped,
                     error_kinds, blocked, finished_at, redecoded, body_suspect, rejected_dates)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_id, source) DO UPDATE SET
                    requested = excluded.requested, found = excluded.found, new = excluded.new,
                    updated = excluded.updated,
                    duplicates = excluded.duplicates, skipped = excluded.skipped,
                    errors = excluded.errors, dropped = excluded.dropped,
                    error_kinds = excluded.error_kinds,
                    blocked = excluded.blocked, finished_at = excluded.finished_at,
                    redecoded = excluded.redecoded, body_suspect = excluded.body_suspect,
                    rejected_dates = excluded.rejected_dates
                """,
                (
                    run_id,
                    stats.source,
                    stats.requested,
                    stats.found,
                    stats.new,
                    stats.updated,
                    stats.duplicates,
                    stats.skipped,
                    stats.errors,
                    json.dumps(stats.dropped, sort_keys=True),
                    json.dumps(stats.error_kinds, sort_keys=True),
                    int(stats.blocked),
                    _iso(utcnow()),
                    json.dumps(stats.redecoded, sort_keys=True),
                    stats.body_suspect,
                    json.dumps(stats.rejected_dates, sort_keys=True),
                ),
            )

    def run_stats(self, run_id: int) -> list[CrawlStats]:
        rows = self.conn.execute(
            "SELECT * FROM crawl_run_sources WHERE run_id = ? ORDER BY source", (run_id,)
        ).fetchall()
        return [_stats(row) for row in rows]

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [dict(row) for row in rows]

    # -- articles ---------------------------------------------------------------------

    def has_url(self, url: str) -> bool:
        return self.conn.execute("SELECT 1 FROM articles WHERE url = ?", (url,)).fetchone() is not None

    @_retried
    def pass_over(self, url: str, source: str, reason: str) -> None:
        """Remember an article URL that was read and deliberately not stored."""
        with self.transaction():
            self.conn.execute(
                """
                INSERT INTO passed_over (url, source, reason, seen_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (url) DO UPDATE SET reason = excluded.reason, seen_at = excluded.seen_at
                """,
                (url, source, reason, _iso(utcnow())),
            )

    def passed_over(self, url: str) -> bool:
        return self.conn.execute("SELECT 1 FROM passed_over WHERE url = ?", (url,)).fetchone() is not None

    @_retried
    def save_article(
        self, article: Article, run_id: int | None, sig: Signature | None, story_id: int | None = None
    ) -> Saved:
        """Insert or update one article (keyed by URL) and commit.

        ``story_id`` links a syndicated copy to the story it repeats; a new article
        without one starts its own story.
        """
        digest = article.content_hash
        values = {
            "title": article.title,
            "published_at": _iso(article.published_at),
            "published_utc": _iso(article.published_at.astimezone(UTC)) if article.published_at else None,
            "byline": article.byline,
            "section": article.section,
            "lang": article.lang,
            "text": article.text,
            "raw_html": zlib.compress(article.raw_html.encode("utf-8")) if article.raw_html else None,
            "content_hash": digest,
            "minhash": sig.values if sig else None,
            "relevant": _bool(article.relevant),
            "relevance": article.relevance,
            "fetched_at": _iso(article.fetched_at),
            "crawl_run_id": run_id,
        }
        with self.transaction():
            row = self.conn.execute(
                "SELECT id, content_hash, story_id FROM articles WHERE url = ?", (article.url,)
            ).fetchone()
            if row is not None:
                if row["content_hash"] == digest:
                    return Saved(row["id"], "unchanged", row["story_id"])
                assignments = ", ".join(f"{column} = ?" for column in values)
                self.conn.execute(
                    f"UPDATE articles SET {assignments}, updated_at = ? WHERE id = ?",
                    (*values.values(), _iso(self.clock()), row["id"]),
                )
                self._index_bands(row["id"], sig)
                search_index.index_article(self, row["id"])
                return Saved(row["id"], "updated", row["story_id"])
            # Set once, here: an update never moves it, so a digest keyed on it shows each
            # article exactly once, whenever it was published.
            values.update(
                url=article.url, source=article.source, story_id=story_id, first_stored_at=_utc(self.clock())
            )
            marks = ", ".join("?" * len(values))
            cur = self.conn.execute(
                f"INSERT INTO articles ({', '.join(values)}) VALUES ({marks}) RETURNING id",
                tuple(values.values()),
            )
            article_id = int(cur.fetchone()[0])
            if story_id is None:
                story_id = article_id
                self.conn.execute("UPDATE articles SET story_id = ? WHERE id = ?", (story_id, article_id))
            self._index_bands(article_id, sig, replace=False)
            search_index.index_article(self, article_id)
        return Saved(article_id, "new", story_id)

    def _index_bands(self, article_id: int, sig: Signature | None, replace: bool = True) -> None:
        if replace:
            self.conn.execute("DELETE FROM article_bands WHERE article_id = ?", (article_id,))
        if sig is not None:
            self.conn.executemany(
                "INSERT INTO article_bands (article_id, band, hash) VALUES (?, ?, ?)",
                [(article_id, band, value) for band, value in enumerate(sig.bands)],
            )

    def find_story(self, article: Article, sig: Signature | None, threshold: float) -> int | None:
        """The story an article repeats: same text, or a signature at least ``threshold`` alike."""
        row = self.conn.execute(
            "SELECT story_id FROM articles WHERE content_hash = ? AND url != ? LIMIT 1",
            (article.content_hash, article.url),
        ).fetchone()
        if row is not None:
            return int(row["story_id"])
        if sig is None:
            return None
        clauses = " OR ".join("(band = ? AND hash = ?)" for _ in sig.bands)
        params: list[Any] = [x for pair in enumerate(sig.bands) for x in pair]
        candidates = self.conn.execute(
            f"""
            SELECT DISTINCT a.id, a.story_id, a.minhash FROM article_bands b
            JOIN articles a ON a.id = b.article_id
            WHERE ({clauses}) AND a.url != ?
            """,
            [*params, article.url],
        ).fetchall()
        best, best_score = None, threshold
        for cand in candidates:
            score = sig.similarity(Signature(cand["minhash"]))
            if score >= best_score:
                best, best_score = int(cand["story_id"]), score
        return best

    def articles(self, source: str | None = None) -> Iterator[Article]:
        sql = f"SELECT {ARTICLE_COLUMNS} FROM articles"
        params: tuple[Any, ...] = ()
        if source:
            sql += " WHERE source = ?"
            params = (source,)
        for row in self.conn.execute(sql + " ORDER BY id", params):
            yield _article(row)

    def raw_html(self, article_id: int) -> str:
        row = self.conn.execute("SELECT raw_html FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None or row[0] is None:
            return ""
        return zlib.decompress(row[0]).decode("utf-8")

    def count_articles(self, source: str | None = None) -> int:
        if source:
            return int(
                self.conn.execute("SELECT count(*) FROM articles WHERE source = ?", (source,)).fetchone()[0]
            )
        return int(self.conn.execute("SELECT count(*) FROM articles").fetchone()[0])

    def crawled_sources(self) -> list[str]:
        """Every source name the archive has crawled or stored, configured or not (an ad hoc
        URL's host is the name of its source)."""
        rows = self.conn.execute(
            "SELECT source FROM crawl_run_sources UNION SELECT source FROM articles ORDER BY source"
        ).fetchall()
        return [str(row[0]) for row in rows]

    def published_range(self) -> tuple[datetime, datetime] | None:
        """Earliest and latest publication time in the archive (UTC), or None when empty."""
        row = self.conn.execute("SELECT min(published_utc), max(published_utc) FROM articles").fetchone()
        return (datetime.fromisoformat(row[0]), datetime.fromisoformat(row[1])) if row[0] else None

    def url_counts(self) -> dict[str, int]:
        """How many rows each URL has (always 1: the kill test checks that)."""
        return {r[0]: r[1] for r in self.conn.execute("SELECT url, count(*) FROM articles GROUP BY url")}

    def source_overview(self, names: Iterable[str]) -> list[dict[str, Any]]:
        """Per source: articles stored, last crawl time and the last run's figures."""
        out = []
        for name in names:
            last = self.conn.execute(
                """
                SELECT s.* FROM crawl_run_sources s WHERE s.source = ?
                ORDER BY s.run_id DESC LIMIT 1
                """,
                (name,),
            ).fetchone()
            out.append(
                {
                    "source": name,
                    "articles": self.count_articles(name),
                    "relevant": int(
                        self.conn.execute(
                            "SELECT count(*) FROM articles WHERE source = ? AND relevant = 1",
                            (name,),
                        ).fetchone()[0]
                    ),
                    "last_crawl": last["finished_at"] if last else None,
                    "last": _stats(last) if last else None,
                }
            )
        return out

    # -- reading one article or all of them (show, export) --------------------------------

    def find_article(self, ref: str) -> Article | None:
        """The article with this id, or stored under this URL (as given or canonical)."""
        from bulletin.urls import canonical_url

        if ref.isdigit():
            row = self.conn.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?", (int(ref),))
        else:
            # Known sources drop the whole query string from their keys: try both forms.
            urls = (ref, canonical_url(ref), canonical_url(ref, keep_query=False))
            row = self.conn.execute(
                f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE url IN (?, ?, ?) ORDER BY id LIMIT 1", urls
            )
        found = row.fetchone()
        return _article(found) if found else None

    def stored_extraction(self, article_id: int) -> StoredExtraction | None:
        """An article's extraction record with the pipeline version and time that made it."""
        row = self.conn.execute(
            "SELECT record, pipeline_version, extracted_at FROM extractions WHERE article_id = ?",
            (article_id,),
        ).fetchone()
        return _stored_extraction(row) if row else None

    def export_rows(
        self, since: date | None = None, until: date | None = None, reviewed_only: bool = False
    ) -> Iterator[tuple[Article, StoredExtraction | None]]:
        """Every article in id order with its effective extraction (None when not extracted yet).

        The record is the machine's with the analyst's corrections applied, and
        ``review_status`` says how far its review got; ``reviewed_only`` keeps only the
        articles whose review is complete, each cut down to what the reviewer decided
        (``corrections.confirmed``): the analysts' test set. ``since``/``until`` bound the publication day as
        the source printed it (the record's ``published``), inclusive; articles without a
        date are then left out. Rows stream from the cursor: the archive is never loaded whole.
        """
        columns = ", ".join(f"a.{c.strip()}" for c in ARTICLE_COLUMNS.split(","))
        sql = (
            f"SELECT {columns}, e.record, e.pipeline_version, e.extracted_at, r.status AS review_status"
            " FROM articles a LEFT JOIN extractions e ON e.article_id = a.id"
            " LEFT JOIN reviews r ON r.article_id = a.id"
        )
        where, params = [], []
        if reviewed_only:
            where.append("r.status = 'reviewed' AND e.record IS NOT NULL")
        if since is not None:
            where.append("substr(a.published_at, 1, 10) >= ?")
            params.append(since.isoformat())
        if until is not None:
            where.append("substr(a.published_at, 1, 10) <= ?")
            params.append(until.isoformat())
        if where:
            sql += " WHERE " + " AND ".join(where)
        # A second cursor reads the corrections while this one streams the rows.
        rows = self.conn.stream if self.postgres else self.conn.execute
        for row in rows(sql + " ORDER BY a.id", params):
            if row["record"] is None:
                yield _article(row), None
                continue
            stored = _stored_extraction(row)
            if row["review_status"] is not None:
                effective = apply_corrections(stored.record, self.corrections(int(row["id"])))
                record = confirmed(effective) if reviewed_only else effective.record
                stored = replace(stored, record=record, review_status=row["review_status"])
            yield _article(row), stored

    # -- extractions ------------------------------------------------------------------

    def articles_to_extract(self, version: str, redo: bool = False) -> Iterator[Article]:
        """Stored articles without an extraction by ``version`` (all of them with ``redo``)."""
        sql = f"SELECT {ARTICLE_COLUMNS} FROM articles a"
        if not redo:
            sql += (
                " WHERE NOT EXISTS (SELECT 1 FROM extractions e"
                " WHERE e.article_id = a.id AND e.pipeline_version = ?)"
            )
        # fetchall: the caller writes extractions while iterating, on this connection.
        rows = self.conn.execute(sql + " ORDER BY a.id", () if redo else (version,)).fetchall()
        return (_article(row) for row in rows)

    def count_to_extract(self, version: str, redo: bool = False) -> int:
        if redo:
            return self.count_articles()
        return int(
            self.conn.execute(
                "SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM extractions e"
                " WHERE e.article_id = a.id AND e.pipeline_version = ?)",
                (version,),
            ).fetchone()[0]
        )

    @_retried
    def claim_extractions(self, version: str, worker: str, limit: int, lease: float) -> list[Article]:
        """Claim up to ``limit`` articles ``version`` has not extracted, for ``lease`` seconds.

        An article claimed by another worker is left alone until that claim expires (its
        worker died, or is stuck), then taken over. Claims are rows of their own, so many
        workers on many machines share the work without doing any twice: on PostgreSQL the
        candidates are locked ``FOR UPDATE SKIP LOCKED`` (two claimers pass each other by
        instead of queueing) and the upsert only takes a claim that is free or expired,
        re-checked under its row lock; on SQLite the write lock serialises the claimers.
        """
        now = self._lease_clock()
        expires = now + timedelta(seconds=lease)
        skip_locked = " FOR UPDATE OF a SKIP LOCKED" if self.postgres else ""
        with self.transaction(lock=False):
            rows = self.conn.execute(
                "SELECT a.id FROM articles a WHERE NOT EXISTS (SELECT 1 FROM extractions e"
                " WHERE e.article_id = a.id AND e.pipeline_version = ?)"
                " AND NOT EXISTS (SELECT 1 FROM extraction_claims c WHERE c.article_id = a.id"
                " AND c.expires_at > ?) ORDER BY a.id LIMIT ?" + skip_locked,
                (version, _utc(now), limit),
            ).fetchall()
            claimed = []
            for row in rows:
                taken = self.conn.execute(
                    """
                    INSERT INTO extraction_claims
                        (article_id, pipeline_version, worker, claimed_at, expires_at)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (article_id) DO UPDATE SET
                        pipeline_version = excluded.pipeline_version, worker = excluded.worker,
                        claimed_at = excluded.claimed_at, expires_at = excluded.expires_at
                    WHERE extraction_claims.expires_at <= excluded.claimed_at
                    RETURNING article_id
                    """,
                    (row[0], version, worker, _utc(now), _utc(expires)),
                ).fetchone()
                if taken is not None:
                    claimed.append(int(taken[0]))
        if not claimed:
            return []
        marks = ", ".join("?" * len(claimed))
        found = self.conn.execute(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id IN ({marks}) ORDER BY id", claimed
        ).fetchall()
        return [_article(row) for row in found]

    def _lease_clock(self) -> datetime:
        """The time leases are read on: the server's on PostgreSQL, so workers on machines whose
        clocks differ agree when a claim has expired; this machine's on SQLite (one machine)."""
        if self.postgres:
            moment: datetime = self.conn.execute("SELECT clock_timestamp()").fetchone()[0]
            return moment.astimezone(UTC)
        return utcnow()

    @_retried
    def release_claim(self, article_id: int, worker: str) -> None:
        """Drop ``worker``'s claim on an article (its record is stored, or it gives the article up)."""
        with self.transaction(lock=False):
            self.conn.execute(
                "DELETE FROM extraction_claims WHERE article_id = ? AND worker = ?", (article_id, worker)
            )

    def live_claims(self) -> int:
        """Claims not yet expired, by any worker: work that may still come back if its worker died."""
        row = self.conn.execute(
            "SELECT count(*) FROM extraction_claims WHERE expires_at > ?", (_utc(self._lease_clock()),)
        ).fetchone()
        return int(row[0])

    @_retried
    def save_extraction(self, article_id: int, version: str, record: dict[str, Any]) -> None:
        """Store (or replace) an article's extraction record and commit.

        An analyst's corrections stay in their own table, attached to the article: the
        next read of the effective record applies them to the new machine record.
        """
        with self.transaction():
            queue = self._queue_columns(article_id, record)
            columns = ("pipeline_version", "relevant", "record", "extracted_at", *queue)
            values = (
                version,
                int(bool(record.get("relevant"))),
                json.dumps(record, ensure_ascii=False),
                _iso(self.clock()),
                *queue.values(),
            )
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns)
            self.conn.execute(
                f"INSERT INTO extractions (article_id, {', '.join(columns)})"
                f" VALUES (?{', ?' * len(columns)}) ON CONFLICT (article_id) DO UPDATE SET {updates}",
                (article_id, *values),
            )
            search_index.index_article(self, article_id)

    def _queue_columns(self, article_id: int, record: dict[str, Any]) -> dict[str, Any]:
        """The review queue's sort and filter columns of an article's extraction.

        ``queue_key`` sorts the queue with the index alone, so its first page costs the same
        at any archive size: review priority, then (for the uncertain) the distance of the
        relevance score from the line, then newest publication first, then newest id.
        """
        row = self.conn.execute(
            "SELECT source, published_at, published_utc, story_id FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        fields = queue_fields(record)
        if row is None:
            return fields
        published = datetime.fromisoformat(row["published_utc"]) if row["published_utc"] else None
        closeness = abs(fields["relevance"] - 0.5) if fields["review_priority"] == 0 else 0.0
        newest = f"0{10**11 - int(published.timestamp()):012d}" if published else "1" + "0" * 12
        return {
            **fields,
            "source": row["source"],
            "published_day": row["published_at"][:10] if row["published_at"] else None,
            "story_lead": int(row["story_id"] == article_id),
            "queue_key": f"{fields['review_priority']}|{closeness:.6f}|{newest}|{10**12 - article_id:013d}",
        }

    def extraction(self, article_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT record FROM extractions WHERE article_id = ?", (article_id,)
        ).fetchone()
        return json.loads(row[0]) if row else None

    # -- review: corrections, review state and the queue --------------------------------

    def review_state(self, article_id: int) -> ReviewState:
        row = self.conn.execute("SELECT * FROM reviews WHERE article_id = ?", (article_id,)).fetchone()
        if row is None:
            return ReviewState(article_id)
        return ReviewState(
            article_id,
            row["version"],
            row["status"],
            row["conflicts"],
            row["reviewer"],
            _when(row["updated_at"]),
        )

    def corrections(self, article_id: int) -> list[Correction]:
        """The article's corrections in force (not undone), oldest first."""
        rows = self.conn.execute(
            "SELECT * FROM corrections WHERE article_id = ? AND undone_at IS NULL ORDER BY id", (article_id,)
        ).fetchall()
        return [_correction(row) for row in rows]

    def add_correction(
        self, article_id: int, expected_version: int, correction: Correction, pipeline_version: str
    ) -> int:
        """Record one correction if the review is still at ``expected_version``; the new version.

        A StaleReviewError (and nothing written) when another save came first: the page the
        reviewer acted on is out of date.
        """
        with self.transaction():
            self.check_review_version(article_id, expected_version)
            self.conn.execute(
                """
                INSERT INTO corrections
                    (article_id, reviewer, made_at, action, kind, target, before, value, pipeline_version)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    article_id,
                    correction.reviewer,
                    _utc(self.clock()),
                    correction.action,
                    correction.kind,
                    correction.target,
                    _json_or_none(correction.before),
                    _json_or_none(correction.value),
                    pipeline_version,
                ),
            )
            search_index.index_article(self, article_id)
            return self._bump(article_id, correction.reviewer)

    def undo_correction(self, article_id: int, expected_version: int, reviewer: str) -> Correction | None:
        """Withdraw the article's latest correction in force (kept, marked undone); None if none."""
        with self.transaction():
            self.check_review_version(article_id, expected_version)
            row = self.conn.execute(
                "SELECT * FROM corrections WHERE article_id = ? AND undone_at IS NULL"
                " ORDER BY id DESC LIMIT 1",
                (article_id,),
            ).fetchone()
            if row is None:
                return None
            self.conn.execute(
                "UPDATE corrections SET undone_at = ? WHERE id = ?", (_utc(self.clock()), row["id"])
            )
            search_index.index_article(self, article_id)
            self._bump(article_id, reviewer)
            return _correction(row)

    def check_review_version(self, article_id: int, expected: int) -> None:
        """A StaleReviewError when the review moved past ``expected`` (another save came first)."""
        state = self.review_state(article_id)
        if state.version != expected:
            who = f" by {state.reviewer}" if state.reviewer else ""
            when = f" at {state.updated_at:%Y-%m-%d %H:%M:%S} UTC" if state.updated_at else ""
            raise StaleReviewError(
                f"article {article_id} was changed{who}{when} since this page was loaded; "
                "nothing was saved: reload it and try again"
            )

    def _bump(self, article_id: int, reviewer: str) -> int:
        cur = self.conn.execute(
            """
            INSERT INTO reviews (article_id, version, reviewer, updated_at) VALUES (?, 1, ?, ?)
            ON CONFLICT (article_id) DO UPDATE SET
                version = reviews.version + 1, reviewer = excluded.reviewer, updated_at = excluded.updated_at
            RETURNING version
            """,
            (article_id, reviewer, _utc(self.clock())),
        )
        return int(cur.fetchone()[0])

    def set_review_status(self, article_id: int, status: str, conflicts: int) -> None:
        """Record an article's review status (started or reviewed) and its open conflicts."""
        with self.transaction():
            self.conn.execute(
                """
                INSERT INTO reviews (article_id, status, conflicts) VALUES (?, ?, ?)
                ON CONFLICT (article_id) DO UPDATE SET
                    status = excluded.status, conflicts = excluded.conflicts
                """,
                (article_id, status, conflicts),
            )
            self.conn.execute(
                "UPDATE extractions SET reviewed = ? WHERE article_id = ?",
                (int(status == "reviewed"), article_id),
            )

    def has_corrections(self, article_id: int) -> bool:
        row = self.conn.execute("SELECT 1 FROM reviews WHERE article_id = ?", (article_id,)).fetchone()
        return row is not None

    def reindex_review_queue(self) -> int:
        """Fill the queue columns of extractions made before they existed; how many rows."""
        rows = self.conn.execute(
            "SELECT article_id, record FROM extractions WHERE queue_key IS NULL"
        ).fetchall()
        if rows:
            with self.transaction():
                for row in rows:
                    queue = self._queue_columns(row["article_id"], json.loads(row["record"]))
                    assignments = ", ".join(f"{column} = ?" for column in queue)
                    self.conn.execute(
                        f"UPDATE extractions SET {assignments} WHERE article_id = ?",
                        (*queue.values(), row["article_id"]),
                    )
                self.conn.execute(
                    "UPDATE extractions SET reviewed = 1 WHERE article_id IN"
                    " (SELECT article_id FROM reviews WHERE status = 'reviewed')"
                )
        return len(rows)

    def review_queue(self, query: QueueQuery, limit: int = 50, offset: int = 0) -> tuple[list[QueueRow], int]:
        """One page of the review queue and the number of stories the filters select.

        One row per story (its first-stored copy). Unreviewed first; among them the relevance
        calls nearest the line, then records with a penalty nobody is named for or a
        subject without a penalty, then the rest; newest publication first within each
        (``queue_key``, read in index order, so a page costs the same at any archive size).
        """
        where = ["e.story_lead = 1"]
        params: list[Any] = []
        if query.source:
            where.append("e.source = ?")
            params.append(query.source)
        if query.since is not None:
            where.append("e.published_day >= ?")
            params.append(query.since.isoformat())
        if query.until is not None:
            where.append("e.published_day <= ?")
            params.append(query.until.isoformat())
        if query.tactic:
            position = "strpos" if self.postgres else "instr"
            where.append(f"{position}(' ' || coalesce(e.tactic_labels, '') || ' ', ?) > 0")
            params.append(f" {query.tactic} ")
        if query.subject:
            where.append("lower(coalesce(e.subject_names, '')) LIKE ? ESCAPE '\\'")
            escaped = query.subject.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.append(f"%{escaped}%")
        if query.status == "reviewed":
            where.append("e.reviewed = 1")
        elif query.status == "pending":
            where.append("e.reviewed = 0")
        elif query.status == "conflicts":
            where.append("e.article_id IN (SELECT article_id FROM reviews WHERE conflicts > 0)")
        sql_where = " WHERE " + " AND ".join(where)
        total = int(self.conn.execute("SELECT count(*) FROM extractions e" + sql_where, params).fetchone()[0])
        rows = self.conn.execute(
            "SELECT a.id, a.source, a.title, a.published_at, e.relevant, e.relevance, e.review_priority,"
            " e.tactic_labels, e.subject_names, r.status, r.conflicts, r.reviewer"
            + (" FROM extractions e" if self.postgres else " FROM extractions e INDEXED BY extractions_queue")
            + " JOIN articles a ON a.id = e.article_id"
            " LEFT JOIN reviews r ON r.article_id = e.article_id"
            + sql_where
            + " ORDER BY e.story_lead, e.reviewed, e.queue_key LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        return [_queue_row(row) for row in rows], total

    def review_progress(self) -> tuple[int, int]:
        """(reviewed, total) stories with an extraction."""
        row = self.conn.execute(
            "SELECT count(*), sum(reviewed) FROM extractions WHERE story_lead = 1"
        ).fetchone()
        return int(row[1] or 0), int(row[0])

    def review_sources(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT source FROM articles ORDER BY source")]

    def all_corrections(self) -> Iterator[tuple[int, Correction]]:
        """Every correction in force, oldest first, with its article id."""
        for row in self.conn.execute("SELECT * FROM corrections WHERE undone_at IS NULL ORDER BY id"):
            yield int(row["article_id"]), _correction(row)

    def reviewed_rows(
        self, reviewed_only: bool = True
    ) -> Iterator[tuple[Article, StoredExtraction, list[Correction]]]:
        """Articles with corrections (only those whose review is complete, by default), id order."""
        columns = ", ".join(f"a.{c.strip()}" for c in ARTICLE_COLUMNS.split(","))
        status = " AND r.status = 'reviewed'" if reviewed_only else ""
        rows = self.conn.execute(
            f"SELECT {columns}, e.record, e.pipeline_version, e.extracted_at FROM reviews r"
            " JOIN articles a ON a.id = r.article_id JOIN extractions e ON e.article_id = a.id"
            f" WHERE 1 = 1{status} ORDER BY a.id"
        ).fetchall()
        for row in rows:
            yield _article(row), _stored_extraction(row), self.corrections(int(row["id"]))

    # -- cases (the digest's unit) -----------------------------------------------------

    def cases(
        self, start: datetime, end: datetime, by: str = "published", near: float | None = None
    ) -> list[Case]:
        """Relevant stories whose time falls in ``[start, end)``, newest publication first.

        With ``near``, the stories judged *not* relevant whose relevance score is at least
        ``near`` instead: the close calls a reader should see rather than lose.

        ``by="published"``: a story's time is its earliest copy's publication time (fetch
        time when the page gave none), for reports over any range. ``by="stored"``: the
        time its first copy reached the archive, for the daily and weekly digests, so a
        story published on Monday and found on Wednesday is Wednesday's. A later copy never
        moves a story. The record is the earliest copy's extraction; links list every copy,
        those with a publication time first, by time, then by URL.
        """
        if by not in ("published", "stored"):
            raise ValueError(f"cases by {by!r}: published or stored")
        key = "min(a.first_stored_at)" if by == "stored" else "min(coalesce(a.published_utc, a.fetched_at))"
        rows = self.conn.execute(
            f"""
            SELECT a.story_id, {key} AS moment,
                min(coalesce(a.published_utc, a.fetched_at)) AS published,
                min(a.first_stored_at) AS first_stored, max(a.first_stored_at) AS last_stored,
                max(a.updated_at) AS updated
            FROM articles a GROUP BY a.story_id
            HAVING {key} >= ? AND {key} < ?
            ORDER BY published DESC, a.story_id DESC
            """,
            # Each bound in the format of the column it is compared with, so text order is
            # time order even for a time exactly on the bound (midnight, for date-only pages).
            (_utc(start), _utc(end))
            if by == "stored"
            else (_iso(start.astimezone(UTC)), _iso(end.astimezone(UTC))),
        ).fetchall()
        cases = []
        for row in rows:
            copies = self.conn.execute(
                """
                SELECT a.id, a.source, a.url, a.title, a.published_at, e.record, e.pipeline_version,
                    e.extracted_at, r.status AS review_status, r.updated_at AS reviewed_at
                FROM articles a LEFT JOIN extractions e ON e.article_id = a.id
                LEFT JOIN reviews r ON r.article_id = a.id
                WHERE a.story_id = ? ORDER BY a.published_utc IS NULL, a.published_utc, a.url
                """,
                (row["story_id"],),
            ).fetchall()
            # The record is the earliest copy's, unless an analyst reviewed another copy.
            extracted = [c for c in copies if c["record"] is not None]
            lead = next((c for c in extracted if c["reviewed_at"] is not None), None) or next(
                iter(extracted), None
            )
            if lead is None:
                continue
            record = json.loads(lead["record"])
            if lead["reviewed_at"] is not None:
                record = apply_corrections(record, self.corrections(int(lead["id"]))).record
            if near is None and not record.get("relevant"):
                continue
            if near is not None and (record.get("relevant") or (record.get("relevance") or 0.0) < near):
                continue
            cases.append(
                Case(
                    story_id=row["story_id"],
                    headline=copies[0]["title"],
                    published_at=_when(copies[0]["published_at"]),
                    links=tuple(
                        SourceLink(c["source"], c["url"], c["title"], _when(c["published_at"]))
                        for c in copies
                    ),
                    extraction=extraction_from_json(record, lead["pipeline_version"]),
                    reviewed=lead["review_status"] == "reviewed",
                    first_stored_at=_when(row["first_stored"]),
                    # What an Atom reader calls "updated": the last change to any copy, a new
                    # copy joining, or a new extraction.
                    updated_at=max(
                        (
                            moment
                            for moment in map(
                                _when,
                                (
                                    row["last_stored"],
                                    row["updated"],
                                    lead["extracted_at"],
                                    lead["reviewed_at"],
                                ),
                            )
                            if moment is not None
                        ),
                        default=None,
                    ),
                )
            )
        histories = self.case_histories(c.story_id for c in cases)
        return [
            replace(c, case_id=histories[c.story_id][0], history=histories[c.story_id][1])
            if c.story_id in histories
            else c
            for c in cases
        ]

    # -- case files (issue 12): stories linked into cases, and the analyst's corrections ---

    def case_inputs(self) -> list[tuple[int, datetime, dict[str, Any]]]:
        """Each relevant story's id, time and record, in time then id order: what linking reads.

        The time is the earliest copy's publication time (fetch time when the page gave
        none); the record is the one ``cases`` shows: the earliest copy's extraction, or the
        reviewed copy's with the analyst's corrections (who may have made it a case, or not).
        """
        rows = self.conn.execute(
            """
            SELECT s.story_id, s.moment, l.record, l.relevant FROM (
                SELECT story_id, min(coalesce(published_utc, fetched_at)) AS moment
                FROM articles GROUP BY story_id
            ) s JOIN (
                SELECT a.story_id, e.record, e.relevant, row_number() OVER (
                    PARTITION BY a.story_id ORDER BY a.published_utc IS NULL, a.published_utc, a.url
                ) AS rank
                FROM articles a JOIN extractions e ON e.article_id = a.id
            ) l ON l.story_id = s.story_id AND l.rank = 1
            ORDER BY s.moment, s.story_id
            """
        ).fetchall()
        reviewed = {
            int(r[0]): int(r[1])
            for r in self.conn.execute(
                "SELECT a.story_id, a.id FROM reviews r JOIN articles a ON a.id = r.article_id"
                " JOIN extractions e ON e.article_id = a.id ORDER BY a.id DESC"
            )
        }
        out = []
        for story_id, moment, raw, relevant in rows:
            record = json.loads(raw)
            if story_id in reviewed:
                stored = self.stored_extraction(reviewed[story_id])
                if stored is not None:
                    record = apply_corrections(stored.record, self.corrections(reviewed[story_id])).record
                    relevant = record.get("relevant")
            if relevant:
                out.append((int(story_id), _moment(moment), record))
        return out

    @_retried
    def save_case_links(self, cases: Iterable[CaseSummary], links: Iterable[CaseLink]) -> None:
        """Replace every case file and link with these, in one transaction: a reader sees
        the previous linking or this one, never half of each."""
        now = _iso(self.clock())
        with self.transaction():
            self.conn.execute("DELETE FROM case_links")
            self.conn.execute("DELETE FROM cases")
            self.conn.executemany(
                """
                INSERT INTO cases (id, title, subjects, stage, stage_date, first_published, last_published,
                    reports, linked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    (
                        c.id,
                        c.title,
                        json.dumps(list(c.subjects), ensure_ascii=False),
                        c.stage,
                        c.stage_date,
                        _utc(c.first_published) if c.first_published else None,
                        _utc(c.last_published) if c.last_published else None,
                        c.reports,
                        now,
                    )
                    for c in cases
                ],
            )
            self.conn.executemany(
                "INSERT INTO case_links (story_id, case_id, status, score, reasons) VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        k.story_id,
                        k.case_id,
                        k.status,
                        k.score,
                        json.dumps(list(k.reasons), ensure_ascii=False),
                    )
                    for k in links
                ],
            )

    def add_case_corrections(self, corrections: Iterable[CaseCorrection]) -> list[CaseCorrection]:
        """Record an analyst's decisions (in one transaction); returns them with id and time."""
        out = []
        with self.transaction():
            for c in corrections:
                if c.kind not in ("same", "different"):
                    raise StoreError(f"a case correction is 'same' or 'different', got {c.kind!r}")
                made_at = c.made_at or self.clock()
                cur = self.conn.execute(
                    """
                    INSERT INTO case_corrections (kind, story_a, story_b, action, note, made_at)
                    VALUES (?, ?, ?, ?, ?, ?) RETURNING id
                    """,
                    (c.kind, c.story_a, c.story_b, c.action, c.note, _utc(made_at)),
                )
                out.append(replace(c, made_at=made_at, id=int(cur.fetchone()[0])))
        return out

    def case_corrections(self) -> list[CaseCorrection]:
        """Every case correction, in the order they were made."""
        rows = self.conn.execute("SELECT * FROM case_corrections ORDER BY id").fetchall()
        return [
            CaseCorrection(
                r["kind"], r["story_a"], r["story_b"], r["action"], r["note"], _when(r["made_at"]), r["id"]
            )
            for r in rows
        ]

    def case_summaries(self, since: date | None = None, stage: str | None = None) -> list[CaseSummary]:
        """The case files, latest report first: ``since`` keeps those with a report published
        on or after that day (UTC), ``stage`` those whose latest stage it is."""
        where, params = [], []
        if since is not None:
            where.append("c.last_published >= ?")
            params.append(since.isoformat())
        if stage is not None:
            where.append("c.stage = ?")
            params.append(stage)
        sql = _CASE_SELECT
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self.conn.execute(sql + " ORDER BY c.last_published DESC, c.id DESC", params).fetchall()
        return [_case_summary(r) for r in rows]

    def story_case(self, story_id: int) -> int | None:
        """The case a story is linked to (None when it is in none)."""
        row = self.conn.execute(
            "SELECT case_id FROM case_links WHERE story_id = ? AND status = 'linked'", (story_id,)
        ).fetchone()
        return int(row[0]) if row else None

    def case_file(self, case_id: int) -> CaseFile | None:
        """A case with its timeline (linked reports in time order) and its candidate reports."""
        row = self.conn.execute(_CASE_SELECT + " WHERE c.id = ?", (case_id,)).fetchone()
        if row is None:
            return None
        links = self.conn.execute(
            "SELECT story_id, status, score, reasons FROM case_links WHERE case_id = ?", (case_id,)
        ).fetchall()
        reports = self._case_reports({int(k["story_id"]): k for k in links})
        return CaseFile(
            _case_summary(row),
            tuple(r for r in reports if r.status == "linked"),
            tuple(r for r in reports if r.status == "candidate"),
        )

    def _case_reports(self, links: dict[int, sqlite3.Row]) -> list[CaseReport]:
        """The reports of these stories (story id -> its case_links row), in time then id order."""
        copies: dict[int, list[sqlite3.Row]] = {}
        ids = sorted(links)
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            for copy in self.conn.execute(
                f"""
                SELECT a.story_id, a.source, a.url, a.title, a.published_at, a.published_utc, a.fetched_at,
                    e.record
                FROM articles a LEFT JOIN extractions e ON e.article_id = a.id
                WHERE a.story_id IN ({", ".join("?" * len(part))})
                ORDER BY a.story_id, a.published_utc IS NULL, a.published_utc, a.url
                """,
                part,
            ):
                copies.setdefault(int(copy["story_id"]), []).append(copy)
        reports = []
        for story_id, rows in copies.items():
            link = links[story_id]
            lead = next((c for c in rows if c["record"] is not None), None)
            stage = stage_of(json.loads(lead["record"])) if lead is not None else None
            moment = min(_moment(c["published_utc"] or c["fetched_at"]) for c in rows)
            report = CaseReport(
                story_id=story_id,
                headline=rows[0]["title"],
                published_at=_when(rows[0]["published_at"]),
                links=tuple(
                    SourceLink(c["source"], c["url"], c["title"], _when(c["published_at"])) for c in rows
                ),
                stage=stage["label"] if stage else None,
                stage_date=stage.get("date") if stage else None,
                stage_evidence=stage.get("evidence", "") if stage else "",
                events=tuple(e for e in stage.get("events", ()) if isinstance(e, dict)) if stage else (),
                status=link["status"],
                score=float(link["score"]),
                reasons=tuple(json.loads(link["reasons"])),
            )
            reports.append((moment, story_id, report))
        reports.sort(key=lambda r: (r[0], r[1]))
        return [r[2] for r in reports]

    def case_histories(self, story_ids: Iterable[int]) -> dict[int, tuple[int, tuple[CaseReport, ...]]]:
        """For each story in a case: its case id and the case's reports from before it (earlier
        in time, or as early with a lower id), oldest first."""
        wanted = sorted(set(story_ids))
        case_of: dict[int, int] = {}
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            for row in self.conn.execute(
                f"SELECT story_id, case_id FROM case_links WHERE status = 'linked'"
                f" AND story_id IN ({', '.join('?' * len(part))})",
                part,
            ):
                case_of[int(row[0])] = int(row[1])
        if not case_of:
            return {}
        members: dict[int, sqlite3.Row] = {}
        case_ids = sorted(set(case_of.values()))
        for chunk in range(0, len(case_ids), 500):
            part = case_ids[chunk : chunk + 500]
            for row in self.conn.execute(
                f"SELECT story_id, case_id, status, score, reasons FROM case_links WHERE status = 'linked'"
                f" AND case_id IN ({', '.join('?' * len(part))})",
                part,
            ):
                members[int(row["story_id"])] = row
        by_case: dict[int, list[CaseReport]] = {}
        for report in self._case_reports(members):
            by_case.setdefault(int(members[report.story_id]["case_id"]), []).append(report)
        out = {}
        for story_id, case_id in case_of.items():
            timeline = by_case.get(case_id, [])
            place = next((i for i, r in enumerate(timeline) if r.story_id == story_id), 0)
            out[story_id] = (case_id, tuple(timeline[:place]))
        return out

    # -- digest windows: what each daily or weekly digest covered -----------------------

    def digest_window(self, period: str) -> DigestWindow | None:
        row = self.conn.execute("SELECT * FROM digest_windows WHERE period = ?", (period,)).fetchone()
        return _window(row) if row else None

    def digest_windows(self, kind: str, until: datetime, limit: int) -> list[DigestWindow]:
        """The ``limit`` latest windows of ``kind`` ending by ``until``, latest first."""
        rows = self.conn.execute(
            "SELECT * FROM digest_windows WHERE kind = ? AND stored_until <= ?"
            " ORDER BY stored_until DESC LIMIT ?",
            (kind, _utc(until), limit),
        ).fetchall()
        return [_window(row) for row in rows]

    def neighbour_windows(
        self, kind: str, period_start: datetime
    ) -> tuple[DigestWindow | None, DigestWindow | None]:
        """The recorded windows of ``kind`` for the periods just before and just after one."""
        before = self.conn.execute(
            "SELECT * FROM digest_windows WHERE kind = ? AND period_start < ?"
            " ORDER BY period_start DESC LIMIT 1",
            (kind, _utc(period_start)),
        ).fetchone()
        after = self.conn.execute(
            "SELECT * FROM digest_windows WHERE kind = ? AND period_start > ? ORDER BY period_start LIMIT 1",
            (kind, _utc(period_start)),
        ).fetchone()
        return (_window(before) if before else None, _window(after) if after else None)

    def record_digest_window(
        self,
        period: str,
        kind: str,
        period_start: datetime,
        period_end: datetime,
        stored_from: datetime,
        stored_until: datetime,
    ) -> DigestWindow:
        """Record the window a period's digest covers; the first one recorded wins and is returned."""
        with self.transaction():
            self.conn.execute(
                """
                INSERT INTO digest_windows
                    (period, kind, period_start, period_end, stored_from, stored_until, built_at)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (period) DO NOTHING
                """,
                (
                    period,
                    kind,
                    _utc(period_start),
                    _utc(period_end),
                    _utc(stored_from),
                    _utc(stored_until),
                    _utc(utcnow()),
                ),
            )
        window = self.digest_window(period)
        if window is None:
            raise StoreError(f"{self.path}: the digest window of {period} was not recorded")
        return window

    def crawl_stats_between(self, start: datetime, end: datetime) -> list[CrawlStats]:
        """Per-source figures of the crawl runs started in ``[start, end)``."""
        rows = self.conn.execute(
            """
            SELECT s.* FROM crawl_run_sources s JOIN crawl_runs r ON r.id = s.run_id
            WHERE r.started_at >= ? AND r.started_at < ? ORDER BY s.run_id
            """,
            (_iso(start.astimezone(UTC)), _iso(end.astimezone(UTC))),
        ).fetchall()
        return [_stats(row) for row in rows]

    # -- pipeline runs and the digest ledger ---------------------------------------------

    def start_pipeline_run(self, trigger: str, period: str, owner: Owner | None = None) -> int:
        """Record a pipeline run as running in ``owner`` (default: this process)."""
        owner = owner or this_process()
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO pipeline_runs (started_at, trigger, period, host, pid, pid_token)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (_iso(utcnow()), trigger, period, owner.host, owner.pid, owner.token),
            )
            return int(cur.fetchone()[0])

    def set_pipeline_crawl(self, run_id: int, child: Owner) -> None:
        """Record the crawl child a pipeline run started, so it can be stopped if the run's process dies."""
        with self.transaction():
            self.conn.execute(
                "UPDATE pipeline_runs SET crawl_pid = ?, crawl_pid_token = ? WHERE id = ?",
                (child.pid, child.token, run_id),
            )

    def running_pipeline_runs(self) -> list[dict[str, Any]]:
        """Pipeline runs still marked running, each with ``owner`` and ``crawl`` (Owner or None)."""
        rows = self.conn.execute(
            "SELECT * FROM pipeline_runs WHERE status = 'running' ORDER BY id"
        ).fetchall()
        out = []
        for row in rows:
            run = dict(row)
            run["owner"] = _owner(row["host"], row["pid"], row["pid_token"])
            run["crawl"] = _owner(row["host"], row["crawl_pid"], row["crawl_pid_token"])
            run["problems"] = json.loads(run["problems"])
            out.append(run)
        return out

    def close_pipeline_run(self, run_id: int, status: str, problem: str) -> bool:
        """Finish a pipeline run that is still running, adding ``problem`` (False if already closed)."""
        with self.transaction():
            row = self.conn.execute(
                "SELECT problems FROM pipeline_runs WHERE id = ? AND status = 'running'", (run_id,)
            ).fetchone()
            if row is None:
                return False
            problems = [*json.loads(row["problems"]), problem]
            self.conn.execute(
                "UPDATE pipeline_runs SET finished_at = ?, status = ?, problems = ? WHERE id = ?",
                (_iso(utcnow()), status, json.dumps(problems), run_id),
            )
            return True

    def abandoned_periods(self, trigger: str, since: datetime) -> list[str]:
        """Periods of ``trigger`` runs started since ``since`` that were abandoned (stopped, or
        their process died) and that no run has completed since, oldest first."""
        rows = self.conn.execute(
            """
            SELECT p.period, min(p.started_at) AS first FROM pipeline_runs p
            WHERE p.trigger = ? AND p.status = 'abandoned' AND p.started_at >= ? AND NOT EXISTS (
                SELECT 1 FROM pipeline_runs q
                WHERE q.period = p.period AND q.status NOT IN ('running', 'abandoned')
            )
            GROUP BY p.period ORDER BY first
            """,
            (trigger, _iso(since.astimezone(UTC))),
        ).fetchall()
        return [str(r["period"]) for r in rows]

    def finish_pipeline_run(self, run_id: int, status: str, **figures: Any) -> None:
        """Record how a run ended; figures: crawl_run_id, extracted, cases, outputs, problems."""
        columns = {"crawl_run_id", "extracted", "cases", "outputs", "problems"}
        unknown = set(figures) - columns
        if unknown:
            raise ValueError(f"unknown pipeline run figures: {sorted(unknown)}")
        values = {k: json.dumps(v) if k in {"outputs", "problems"} else v for k, v in figures.items()}
        assignments = "".join(f", {k} = ?" for k in values)
        with self.transaction():
            self.conn.execute(
                f"UPDATE pipeline_runs SET finished_at = ?, status = ?{assignments} WHERE id = ?",
                (_iso(utcnow()), status, *values.values(), run_id),
            )

    def pipeline_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM pipeline_runs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        out = []
        for row in rows:
            run = dict(row)
            run["outputs"] = json.loads(run["outputs"])
            run["problems"] = json.loads(run["problems"])
            out.append(run)
        return out

    def sent_digest(self, period: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM digest_ledger WHERE period = ?", (period,)).fetchone()
        return dict(row) if row else None

    def record_sent_digest(
        self,
        period: str,
        start: datetime,
        end: datetime,
        recipients: list[str],
        message_id: str,
        status: str = "sent",
    ) -> None:
        """Record a period's mail as ``sending`` (before the SMTP exchange) or ``sent``.

        While ``sending``, ``sent_at`` is the time of the attempt.
        """
        if status not in ("sending", "sent"):
            raise ValueError(f"digest ledger status {status!r}: sending or sent")
        with self.transaction():
            self.conn.execute(
                """
                INSERT INTO digest_ledger
                    (period, period_start, period_end, recipients, message_id, sent_at, status)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (period) DO UPDATE SET
                    recipients = excluded.recipients, message_id = excluded.message_id,
                    sent_at = excluded.sent_at, status = excluded.status
                """,
                (period, _iso(start), _iso(end), ", ".join(recipients), message_id, _iso(utcnow()), status),
            )

    def forget_sending(self, period: str, previous: dict[str, Any] | None = None) -> None:
        """Undo a ``sending`` row once it is certain the server did not take the message:
        back to ``previous`` (the row as ``sent_digest`` gave it before the attempt), or none."""
        with self.transaction():
            if previous is None:
                self.conn.execute(
                    "DELETE FROM digest_ledger WHERE period = ? AND status = 'sending'", (period,)
                )
                return
            self.conn.execute(
                """
                UPDATE digest_ledger SET recipients = ?, message_id = ?, sent_at = ?, status = ?
                WHERE period = ? AND status = 'sending'
                """,
                (
                    previous["recipients"],
                    previous["message_id"],
                    previous["sent_at"],
                    previous["status"],
                    period,
                ),
            )


@dataclass(frozen=True, slots=True)
class StoredExtraction:
    """An extraction record as stored: the spec's JSON, and which pipeline made it when."""

    record: dict[str, Any]
    pipeline_version: str
    extracted_at: datetime
    review_status: str | None = None  # started or reviewed when an analyst corrected the record


@dataclass(frozen=True, slots=True)
class ReviewState:
    """Where an article's review stands: ``version`` counts saves (0: never reviewed)."""

    article_id: int
    version: int = 0
    status: str = "unreviewed"  # unreviewed | started | reviewed
    conflicts: int = 0
    reviewer: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class QueueQuery:
    """The review queue's filters; ``status`` is all, pending, reviewed or conflicts."""

    source: str | None = None
    since: date | None = None
    until: date | None = None
    tactic: str | None = None
    subject: str | None = None
    status: str = "all"


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One story in the review queue."""

    article_id: int
    source: str
    title: str
    published_at: datetime | None
    relevant: bool
    relevance: float | None
    priority: int
    tactics: tuple[str, ...]
    subjects: tuple[str, ...]
    status: str
    conflicts: int
    reviewer: str | None


def _queue_row(row: sqlite3.Row) -> QueueRow:
    return QueueRow(
        row["id"],
        row["source"],
        row["title"],
        _when(row["published_at"]),
        bool(row["relevant"]),
        row["relevance"],
        2 if row["review_priority"] is None else row["review_priority"],
        tuple(filter(None, (row["tactic_labels"] or "").split(" "))),
        tuple(filter(None, (row["subject_names"] or "").split("|"))),
        row["status"] or "unreviewed",
        row["conflicts"] or 0,
        row["reviewer"],
    )


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _correction(row: sqlite3.Row) -> Correction:
    return Correction(
        action=row["action"],
        kind=row["kind"],
        target=row["target"],
        before=json.loads(row["before"]) if row["before"] else None,
        value=json.loads(row["value"]) if row["value"] else None,
        reviewer=row["reviewer"],
        made_at=datetime.fromisoformat(row["made_at"]),
        id=row["id"],
    )


def _stored_extraction(row: sqlite3.Row) -> StoredExtraction:
    return StoredExtraction(
        json.loads(row["record"]), row["pipeline_version"], datetime.fromisoformat(row["extracted_at"])
    )


def archive_status(path: str | Path) -> tuple[int, int]:
    """(schema version, latest version) of an existing archive, read without migrating it."""
    if database.is_url(path):
        pg = database.connect_postgres(str(path), reconnect_wait=0)
        try:
            if "schema_migrations" not in database.postgres_tables(pg):
                return 0, len(MIGRATIONS)
            row = pg.execute("SELECT max(version) FROM schema_migrations").fetchone()
        finally:
            pg.close()
        return int(row[0] or 0), len(MIGRATIONS)
    uri = Path(path).expanduser().resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=5)
        try:
            row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a usable SQLite database: {exc}") from None
    return int(row[0] or 0), len(MIGRATIONS)


def check_writable(path: str | Path) -> None:
    """Take and release the archive's write lock (a StoreError when that is impossible)."""
    if database.is_url(path):
        import psycopg

        pg = database.connect_postgres(str(path), reconnect_wait=0)
        try:
            with pg.transaction():  # the write lock, and a write that changes nothing
                if "schema_migrations" in database.postgres_tables(pg):
                    pg.execute("DELETE FROM schema_migrations WHERE version < 0")
        except psycopg.Error as exc:
            raise StoreError(f"{database.shown(path)}: not writable: {database.first_line(exc)}") from None
        finally:
            pg.close()
        return
    try:
        conn = sqlite3.connect(str(Path(path).expanduser()), timeout=5, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # A write that changes nothing: only it proves the file is writable
                # (BEGIN alone succeeds on a read-only file).
                conn.execute("DELETE FROM schema_migrations WHERE version < 0")
            finally:
                conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not writable: {exc}") from None


def _owner(host: str | None, pid: int | None, token: str | None) -> Owner | None:
    return Owner(host, int(pid), token or "") if host and pid else None


# SQLite's words for a damaged file or disk (as opposed to a wrong statement, a bug).
_DAMAGE = (
    "malformed",
    "not a database",
    "could not decode",
    "disk i/o error",
    "database or disk is full",
    "readonly database",
    "unable to open database file",
)


# SQLite's result code for a write that found the disk full (sqlite3.h SQLITE_FULL), and
# PostgreSQL's SQLSTATE for it (class 53, insufficient resources: disk_full).
SQLITE_FULL = 13
PG_DISK_FULL = "53100"


def disk_full(exc: BaseException) -> bool:
    """Did ``exc`` come from a write that found the disk full (SQLite or PostgreSQL)?"""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return (code is not None and code & 0xFF == SQLITE_FULL) or "disk is full" in str(exc)
    if isinstance(exc, OSError):
        return exc.errno == errno.ENOSPC
    return getattr(exc, "sqlstate", None) == PG_DISK_FULL


def no_space(folder: Path) -> bool:
    """Is the file system of ``folder`` out of space (for this user)?"""
    try:
        return os.statvfs(folder).f_bavail == 0
    except OSError:
        return False


def read_only(path: Path) -> str:
    """Why the SQLite archive at ``path`` can only be read ("" when it can be written, or is new).

    Writing needs the file and its folder (SQLite makes the WAL's ``-wal`` and ``-shm``
    files beside it): a read-only mount, or permissions that deny this user either.
    """
    if not path.is_file():
        return ""
    for target in (path, path.parent):
        try:
            if os.statvfs(target).f_flag & os.ST_RDONLY:
                return f"{target} is on a read-only file system"
        except OSError:
            pass
        if not os.access(target, os.W_OK):
            return f"{target} is not writable by this user"
    return ""


def damage(exc: sqlite3.DatabaseError) -> str | None:
    """A one-line account of a damaged archive or disk behind ``exc``; None for anything else."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if not any(words in message.lower() for words in _DAMAGE):
        return None
    # The message may quote the damaged bytes: show them, do not print them raw.
    shown = "".join(c if c.isprintable() and c != "\ufffd" else "?" for c in message[:120])
    return (
        f"database error: {shown} (is the archive damaged? "
        "`sqlite3 FILE 'PRAGMA integrity_check'` checks it; restore it from a backup)"
    )


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _moment(value: str) -> datetime:
    """A stored time as an aware datetime (a naive one, from an old row, taken as UTC)."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _case_summary(row: sqlite3.Row) -> CaseSummary:
    return CaseSummary(
        id=row["id"],
        title=row["title"],
        subjects=tuple(json.loads(row["subjects"])),
        stage=row["stage"],
        stage_date=row["stage_date"],
        first_published=_when(row["first_published"]),
        last_published=_when(row["last_published"]),
        reports=row["reports"],
        candidates=row["candidates"],
    )


def _window(row: sqlite3.Row) -> DigestWindow:
    return DigestWindow(
        row["period"],
        row["kind"],
        datetime.fromisoformat(row["stored_from"]),
        datetime.fromisoformat(row["stored_until"]),
    )


# PRAGMA application_id of a Bulletin Watch archive: "BLTN" in ASCII.
APPLICATION_ID = 0x424C544E
# The tables our migrations create, and the scheduler's job store: an unmarked file with
# schema_migrations and nothing else is ours, from before the mark (or being created by
# another process this very moment), and gets the mark on open.
_OUR_TABLES = {
    "schema_migrations",
    "apscheduler_jobs",
    *(name.lower() for name in re.findall(r"CREATE TABLE (\w+)", "".join(MIGRATIONS))),
    *search_index.SQLITE_TABLES,
}


def _check_archive(conn: sqlite3.Connection, path: str) -> None:
    """Refuse, before anything is written, a file that is not (or not yet) an archive of ours.

    Ours: marked with our ``application_id``, or unmarked and empty (a new file), or
    unmarked with our tables (made before the mark). A database of another application
    is refused, and so is an archive from a newer version of this program.
    """
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = {
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    ours = not tables or ("schema_migrations" in tables and tables <= _OUR_TABLES)
    if app_id != APPLICATION_ID and (app_id != 0 or not ours):
        what = (
            f"SQLite application_id {app_id:#010x}"
            if app_id
            else f"tables {', '.join((sorted(tables - _OUR_TABLES) or sorted(tables))[:5])}"
        )
        raise StoreError(
            f"{path}: not a Bulletin Watch archive (it holds another application's data: {what}); "
            "nothing was changed; pass the --db of an archive, or a new file"
        )
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if "schema_migrations" in tables:
        version = max(version, conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] or 0)
    if version > len(MIGRATIONS):
        raise StoreError(
            f"{path}: database schema version {version} is newer than this program "
            f"({len(MIGRATIONS)}); upgrade bulletin-watch"
        )


WAL_CHECKPOINT_PAGES = 10_000


def _configure(conn: sqlite3.Connection, path: str) -> None:
    # Autocommit mode: every write goes through Store.transaction(), which says BEGIN itself.
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    if path != ":memory:":
        _set_wal(conn)
        # NORMAL is durable against a killed process in WAL mode (only power loss can undo
        # the last commits), which is the failure the kill test exercises.
        conn.execute("PRAGMA synchronous = NORMAL")
        # Checkpoint the WAL into the database every 10,000 pages (about 40 MB) rather than
        # SQLite's 1,000: each checkpoint fsyncs, and a crawl writes some 20 pages per article
        # (its row, raw HTML and 16 LSH band rows), so at 1,000 the crawl stalled on an fsync
        # every 50 articles (0.83 ms of SQLite wall time per article, 0.55 ms now). Commits
        # stay as durable as before: a committed transaction is in the WAL either way.
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")


def _set_wal(conn: sqlite3.Connection, attempts: int = 100) -> None:
    """Switch to WAL, retrying: on a brand-new file, processes opening it at the same
    moment get "database is locked" at once (SQLite does not wait on this change)."""
    for attempt in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


def _bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _article(row: sqlite3.Row) -> Article:
    return Article(
        id=row["id"],
        url=row["url"],
        source=row["source"],
        title=row["title"],
        published_at=datetime.fromisoformat(row["published_at"]) if row["published_at"] else None,
        byline=row["byline"],
        section=row["section"],
        lang=row["lang"],
        text=row["text"],
        relevant=None if row["relevant"] is None else bool(row["relevant"]),
        relevance=row["relevance"],
        story_id=row["story_id"],
        fetched_at=datetime.fromisoformat(row["fetched_at"]),
    )


def _stats(row: sqlite3.Row) -> CrawlStats:
    return CrawlStats(
        source=row["source"],
        requested=row["requested"],
        found=row["found"],
        new=row["new"],
        updated=row["updated"],
        duplicates=row["duplicates"],
        skipped=row["skipped"],
        errors=row["errors"],
        dropped=json.loads(row["dropped"]),
        error_kinds=json.loads(row["error_kinds"]),
        blocked=bool(row["blocked"]),
        redecoded=json.loads(row["redecoded"]),
        body_suspect=row["body_suspect"],
        rejected_dates=json.loads(row["rejected_dates"]),
    )
