"""The full-text index behind ``bulletin search``: its tables, the migration that fills it, and
the one function the store's writes call to keep it current.

One row of ``search_documents`` per article holds what is searched: the title, the body, the
subjects and the other extracted fields (penalties, tactics, laws, stage, organisations and
places), taken from the *effective* record (the machine's with the analyst's corrections), so
a subject an analyst added is found and one rejected is not. The store calls
``index_article`` inside each write that changes any of it (an article saved, an extraction
saved, a correction made or undone); nothing scans the archive at query time.

- SQLite: ``search_fts`` is an FTS5 external-content table over ``search_documents``
  (tokenizer ``unicode61 remove_diacritics 2``), kept in sync by triggers on that table (the
  pattern of the FTS5 manual, section 4.4.3).
- PostgreSQL: ``search_documents.vector`` is a ``tsvector`` (title weight A, subjects B, other
  fields C, body D) with a GIN index. Its words are this module's ``tokens()`` (diacritics
  folded, lower case), as are the query's: matching does not depend on the server's parser,
  dictionaries or the ``unaccent`` extension, and both engines split text the same way.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from bulletin.corrections import Correction, apply
from bulletin.database import CodeMigration

if TYPE_CHECKING:
    from bulletin.store import Store

logger = logging.getLogger(__name__)

# The FTS5 table's columns, in order (bm25 weights and column filters refer to them).
COLUMNS = ("title", "subjects", "details", "body")
# Entity labels whose text is worth finding an article by: organisations and places.
PLACE_AND_ORG_LABELS = frozenset({"ORG", "GPE", "LOC", "FAC", "NORP"})
# PostgreSQL refuses a tsvector over 1 MB and keeps no word position past 16,383: words of a
# field past this many are not indexed there (a 3 MB page stays storable; SQLite keeps them all).
MAX_VECTOR_WORDS = 50_000
# What the FTS5 tokenizer keeps as a token: letters and digits (unicode61: categories L*, N*).
_TOKEN = re.compile(r"[^\W_]+")

SQLITE_SCHEMA = [
    """
    CREATE TABLE search_documents (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        title TEXT NOT NULL DEFAULT '',
        subjects TEXT NOT NULL DEFAULT '',
        details TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL DEFAULT '',
        stage TEXT,
        tactics TEXT NOT NULL DEFAULT ''
    )
    """,
    "CREATE INDEX search_documents_stage ON search_documents(stage)",
    """
    CREATE VIRTUAL TABLE search_fts USING fts5(
        title, subjects, details, body,
        content='search_documents', content_rowid='article_id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_fts (rowid, title, subjects, details, body)
        VALUES (new.article_id, new.title, new.subjects, new.details, new.body);
    END
    """,
    """
    CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_fts (search_fts, rowid, title, subjects, details, body)
        VALUES ('delete', old.article_id, old.title, old.subjects, old.details, old.body);
    END
    """,
    """
    CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN
        INSERT INTO search_fts (search_fts, rowid, title, subjects, details, body)
        VALUES ('delete', old.article_id, old.title, old.subjects, old.details, old.body);
        INSERT INTO search_fts (rowid, title, subjects, details, body)
        VALUES (new.article_id, new.title, new.subjects, new.details, new.body);
    END
    """,
]
# The tables the SQLite schema makes (FTS5 adds its shadow tables): ours, for the archive check.
SQLITE_TABLES = (
    "search_documents",
    "search_fts",
    "search_fts_data",
    "search_fts_idx",
    "search_fts_docsize",
    "search_fts_config",
)

# PostgreSQL keeps no copy of the title and body: the vector is all it needs to match, and
# snippets are cut from the article itself.
POSTGRES_SCHEMA = [
    """
    CREATE TABLE search_documents (
        article_id BIGINT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        subjects TEXT COLLATE "C" NOT NULL DEFAULT '',
        details TEXT COLLATE "C" NOT NULL DEFAULT '',
        stage TEXT COLLATE "C",
        tactics TEXT COLLATE "C" NOT NULL DEFAULT '',
        vector TSVECTOR NOT NULL
    )
    """,
    "CREATE INDEX search_documents_stage ON search_documents(stage)",
    "CREATE INDEX search_documents_vector ON search_documents USING GIN (vector)",
]

_VECTOR = (
    "setweight(to_tsvector('simple', ?), 'A') || setweight(to_tsvector('simple', ?), 'B')"
    " || setweight(to_tsvector('simple', ?), 'C') || setweight(to_tsvector('simple', ?), 'D')"
)


def fold(text: str) -> str:
    """``text`` in lower case without diacritics ("Zürich" -> "zurich"), as unicode61 folds it."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokens(text: str) -> list[str]:
    """The words of ``text`` as the index holds them: folded, split on anything not a letter or digit."""
    return _TOKEN.findall(fold(text))


def _text(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("text") or value.get("evidence") or value.get("name") or "")
    return str(value or "")


def fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """The searchable fields of an (effective) extraction record."""
    subjects = "\n".join(_text(s) for s in record.get("subjects", ()) if _text(s))
    parts: list[str] = []
    for penalty in record.get("penalties", ()):
        if isinstance(penalty, Mapping):
            parts.append(str(penalty.get("kind", "")).replace("_", " "))
            parts.append(str(penalty.get("evidence", "")))
    labels = set()
    for tactic in record.get("tactics", ()):
        if isinstance(tactic, Mapping):
            label = str(tactic.get("label", ""))
            labels.add(label)
            parts += [label.replace("_", " "), str(tactic.get("evidence", ""))]
    parts += [_text(law) for law in record.get("laws", ())]
    for entity in record.get("entities", ()):
        if isinstance(entity, Mapping) and entity.get("label") in PLACE_AND_ORG_LABELS:
            parts.append(_text(entity))
    stage = record.get("stage")
    stage_label = None
    if isinstance(stage, Mapping) and stage.get("label"):
        stage_label = str(stage["label"])
        parts += [stage_label, str(stage.get("evidence", ""))]
    return {
        "subjects": subjects,
        "details": "\n".join(p for p in parts if p.strip()),
        "stage": stage_label,
        # Space-delimited on both sides, so a filter looks for " label " and never a part of one.
        "tactics": f" {' '.join(sorted(labels))} " if labels else "",
    }


def _effective(store: Store, article_id: int) -> dict[str, Any] | None:
    row = store.conn.execute("SELECT record FROM extractions WHERE article_id = ?", (article_id,)).fetchone()
    if row is None:
        return None
    record: dict[str, Any] = json.loads(row[0])
    corrections: list[Correction] = store.corrections(article_id)
    return apply(record, corrections).record if corrections else record


def index_article(store: Store, article_id: int) -> None:
    """(Re)index one article from the archive; called inside the store's write transaction."""
    row = store.conn.execute("SELECT title, text FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is None:
        return
    record = _effective(store, article_id)
    _write(store, article_id, str(row[0]), str(row[1]), fields(record or {}))


def _write(store: Store, article_id: int, title: str, body: str, found: dict[str, Any]) -> None:
    if store.postgres:
        fields_ = (title, found["subjects"], found["details"], body)
        words = [" ".join(tokens(text)[:MAX_VECTOR_WORDS]) for text in fields_]
        store.conn.execute(
            "INSERT INTO search_documents (article_id, subjects, details, stage, tactics, vector)"
            f" VALUES (?, ?, ?, ?, ?, {_VECTOR}) ON CONFLICT (article_id) DO UPDATE SET"
            " subjects = excluded.subjects, details = excluded.details, stage = excluded.stage,"
            " tactics = excluded.tactics, vector = excluded.vector",
            (article_id, found["subjects"], found["details"], found["stage"], found["tactics"], *words),
        )
        return
    store.conn.execute(
        "INSERT INTO search_documents (article_id, title, subjects, details, body, stage, tactics)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (article_id) DO UPDATE SET"
        " title = excluded.title, subjects = excluded.subjects, details = excluded.details,"
        " body = excluded.body, stage = excluded.stage, tactics = excluded.tactics",
        (article_id, title, found["subjects"], found["details"], body, found["stage"], found["tactics"]),
    )


def create(store: Store) -> None:
    """The migration: make the index for this backend and fill it from the archive.

    Runs inside the migration's transaction, so an archive either has the whole index or
    none of it (a failure leaves the schema version where it was, to try again).
    """
    for statement in POSTGRES_SCHEMA if store.postgres else SQLITE_SCHEMA:
        store.conn.execute(statement)
    filled = fill(store)
    if filled:
        logger.info("search index: %d articles indexed", filled)


def fill(store: Store, ids: Iterable[int] | None = None, batch: int = 2000) -> int:
    """Index every article (or those in ``ids``), a batch at a time; how many were indexed."""
    if ids is None:
        todo = [int(r[0]) for r in store.conn.execute("SELECT id FROM articles ORDER BY id").fetchall()]
    else:
        todo = list(ids)
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        marks = ", ".join("?" * len(chunk))
        articles = store.conn.execute(
            f"SELECT id, title, text FROM articles WHERE id IN ({marks})", chunk
        ).fetchall()
        records = {
            int(r[0]): json.loads(r[1])
            for r in store.conn.execute(
                f"SELECT article_id, record FROM extractions WHERE article_id IN ({marks})", chunk
            ).fetchall()
        }
        corrected = {
            int(r[0])
            for r in store.conn.execute(
                "SELECT DISTINCT article_id FROM corrections"
                f" WHERE undone_at IS NULL AND article_id IN ({marks})",
                chunk,
            ).fetchall()
        }
        for article_id, title, body in articles:
            record = records.get(int(article_id)) or {}
            if article_id in corrected:
                record = apply(record, store.corrections(int(article_id))).record
            _write(store, int(article_id), str(title), str(body), fields(record))
        if len(todo) > batch:
            logger.info("search index: %d of %d articles", min(start + batch, len(todo)), len(todo))
    return len(todo)


# The migration (bulletin/store.py appends it to MIGRATIONS).
MIGRATION = CodeMigration("-- the full-text search index: bulletin.search_index.create", create)
