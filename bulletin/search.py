"""Full-text search over the archive: the user's query parsed, run on the backend's engine,
ranked, with the matching words marked in a snippet.

``parse`` turns what a user types into ``Term``s (words, "phrases", prefix*) or one
``SearchError`` line; the engine's own query syntax is written by this module alone, from
tokens that hold only letters and digits, so no query can raise an FTS syntax error.
``search`` runs it on SQLite FTS5 or PostgreSQL full-text search (``bulletin.search_index``)
with the filters, and ``Hit.snippet`` / ``Hit.title_marks`` are text segments flagged as
matching, to be escaped and marked by whoever shows them (``as_html``, ``as_text``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from bulletin.errors import BulletinError
from bulletin.search_index import fold, tokens
from bulletin.store import Store

# What a user may type: more is refused with one line (it is a search box, not a document).
MAX_QUERY_CHARS = 500
MAX_TERMS = 32
MAX_LIMIT = 200
# bm25 weights of the FTS5 columns (title, subjects, details, body): a word in the title or
# among the people a case is about says more about the article than one in passing.
BM25_WEIGHTS = (10.0, 6.0, 3.0, 1.0)
# Words of context around the best-matching place in the body (about 7 characters each).
SNIPPET_WORDS = 36
TEXT_MARK = "**"

_PIECE = re.compile(r'"([^"]*)"(\*?)|([^\s"]+)|(")')


class SearchError(BulletinError):
    """A query that cannot be searched for (an unclosed quote, nothing but punctuation, too long)."""


@dataclass(frozen=True, slots=True)
class Term:
    """Words that must appear together, in order; ``prefix``: the last one may go on
    (``espion*``); ``column``: only in that field (``subjects`` for a person)."""

    words: tuple[str, ...]
    prefix: bool = False
    column: str | None = None

    def fts5(self) -> str:
        phrase = '"' + " ".join(self.words) + '"' + ("*" if self.prefix else "")
        return f"{self.column} : {phrase}" if self.column else phrase

    def tsquery(self) -> str:
        weight = "B" if self.column == "subjects" else ""
        parts = [f"{w}:{weight}" if weight else w for w in self.words]
        if self.prefix:
            parts[-1] = f"{self.words[-1]}:*{weight}"
        return "(" + " <-> ".join(parts) + ")"


@dataclass(frozen=True, slots=True)
class Filters:
    """What narrows a search besides the words: publication days (inclusive), source, the
    case's furthest stage, a tactic label, a person among the subjects."""

    since: date | None = None
    until: date | None = None
    source: str | None = None
    stage: str | None = None
    tactic: str | None = None
    person: str | None = None


Segments = tuple[tuple[str, bool], ...]


@dataclass(frozen=True, slots=True)
class Hit:
    article_id: int
    url: str
    title: str
    source: str
    published: str | None
    story_id: int | None
    stage: str | None
    subjects: tuple[str, ...]
    score: float
    title_marks: Segments
    snippet: Segments

    def to_json(self) -> dict[str, Any]:
        """The hit as JSON: the snippet as plain text with the marked ranges as [start, end)."""
        text, ranges = plain(self.snippet)
        return {
            "id": str(self.article_id),
            "url": self.url,
            "title": self.title,
            "source": self.source,
            "published": self.published,
            "story_id": self.story_id,
            "stage": self.stage,
            "subjects": list(self.subjects),
            "score": round(self.score, 6),
            "snippet": text,
            "highlights": ranges,
        }


@dataclass(frozen=True, slots=True)
class Results:
    query: str
    terms: tuple[Term, ...]
    total: int
    hits: list[Hit] = field(default_factory=list)


def parse(query: str, person: str | None = None) -> tuple[Term, ...]:
    """The terms of a user's query (and of ``person``, matched among the subjects).

    Words are split as the index splits them (letters and digits; "Zhou's" is the phrase
    "zhou s"), a quoted phrase is one term, a trailing ``*`` makes a prefix. Everything
    else (operators, brackets, colons) is punctuation, never syntax.
    """
    if len(query) > MAX_QUERY_CHARS or len(person or "") > MAX_QUERY_CHARS:
        raise SearchError(f"search query too long: at most {MAX_QUERY_CHARS} characters")
    terms: list[Term] = []
    for match in _PIECE.finditer(query):
        phrase, phrase_star, word, stray = match.groups()
        if stray:
            raise SearchError(
                f'unclosed quote in search query {query.strip()[:80]!r}: close the phrase with "'
            )
        text, star = (phrase, phrase_star) if phrase is not None else (word, "")
        if phrase is None and word.endswith("*"):
            text, star = word.rstrip("*"), "*"
        found = tuple(tokens(text))
        if found:
            terms.append(Term(found, prefix=bool(star) and text[-1:].isalnum()))
    if person and person.strip():
        words = tuple(tokens(person))
        if not words:
            raise SearchError(f"no name to search for in person {person.strip()[:80]!r}")
        terms.append(Term(words, column="subjects"))
    if not terms:
        raise SearchError(
            f'nothing to search for in {query.strip()[:80]!r}: give a word, a "phrase" or a prefix*'
        )
    if len(terms) > MAX_TERMS:
        raise SearchError(f"search query has {len(terms)} terms: at most {MAX_TERMS}")
    return tuple(terms)


def search(
    store: Store, query: str, filters: Filters | None = None, limit: int = 20, offset: int = 0
) -> Results:
    """The articles matching ``query`` and ``filters``, best first, ``limit`` from ``offset``."""
    filters = filters or Filters()
    terms = parse(query, filters.person)
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    where, params = _where(store, filters)
    # Rank on the index alone (and the filter columns), then read the text of the page's hits
    # only: sorting whole rows would carry every match's body through the sorter.
    if store.postgres:
        match = " & ".join(t.tsquery() for t in terms)
        joins = " JOIN articles a ON a.id = d.article_id" if "a." in where else ""
        base = f" FROM search_documents d{joins}, to_tsquery('simple', ?) q WHERE d.vector @@ q{where}"
        ranked = (
            f"SELECT d.article_id AS id, ts_rank(d.vector, q) AS score{base} ORDER BY score DESC, id DESC"
        )
        order = "r.score DESC, r.id DESC"
    else:
        match = " AND ".join(t.fts5() for t in terms)
        # CROSS JOIN: SQLite reads the full-text matches first and looks each row up, never
        # the other way round (a filter's index probing the FTS table row by row).
        joins = "".join(
            f" CROSS JOIN {table} ON {key} = search_fts.rowid"
            for table, key, alias in (
                ("articles a", "a.id", "a."),
                ("search_documents d", "d.article_id", "d."),
            )
            if alias in where
        )
        base = f" FROM search_fts{joins} WHERE search_fts MATCH ?{where}"
        weights = ", ".join(str(w) for w in BM25_WEIGHTS)
        score = f"bm25(search_fts, {weights})"
        ranked = f"SELECT search_fts.rowid AS id, {score} AS score{base} ORDER BY score, id DESC"
        order = "r.score, r.id DESC"
    rows = store.conn.execute(
        "SELECT a.id, a.url, a.title, a.source, a.published_at, a.story_id, a.text,"
        f" d.stage, d.subjects, d.details, r.score FROM ({ranked} LIMIT ? OFFSET ?) r"
        f" JOIN articles a ON a.id = r.id JOIN search_documents d ON d.article_id = r.id ORDER BY {order}",
        [match, *params, limit, offset],
    ).fetchall()
    if 0 < len(rows) < limit or (offset == 0 and not rows):
        total = offset + len(rows)  # the last page: no need to count
    else:
        total = int(store.conn.execute("SELECT count(*)" + base, [match, *params]).fetchone()[0])
    hits = [_hit(row, terms, negate=not store.postgres) for row in rows]
    return Results(query, terms, total, hits)


def _where(store: Store, filters: Filters) -> tuple[str, list[Any]]:
    where, params = [], []
    if filters.since is not None:
        where.append("substr(a.published_at, 1, 10) >= ?")
        params.append(filters.since.isoformat())
    if filters.until is not None:
        where.append("substr(a.published_at, 1, 10) <= ?")
        params.append(filters.until.isoformat())
    if filters.source:
        where.append("a.source = ?")
        params.append(filters.source)
    if filters.stage:
        where.append("d.stage = ?")
        params.append(filters.stage)
    if filters.tactic:
        position = "strpos" if store.postgres else "instr"
        where.append(f"{position}(d.tactics, ?) > 0")
        params.append(f" {filters.tactic} ")
    return "".join(f" AND {w}" for w in where), params


def _hit(row: Any, terms: Sequence[Term], negate: bool) -> Hit:
    published = row["published_at"]
    snippet = mark(row["text"], terms, SNIPPET_WORDS)
    if not any(hit for _, hit in snippet):
        # The words matched a field, not the body: show that field's matching line.
        for text in (row["subjects"], row["details"]):
            candidate = mark(text.replace("\n", "; "), terms, SNIPPET_WORDS)
            if any(hit for _, hit in candidate):
                snippet = candidate
                break
    score = float(row["score"] or 0.0)
    return Hit(
        article_id=int(row["id"]),
        url=row["url"],
        title=row["title"],
        source=row["source"],
        published=published[:10] if published else None,
        story_id=int(row["story_id"]) if row["story_id"] is not None else None,
        stage=row["stage"],
        subjects=tuple(s for s in str(row["subjects"] or "").split("\n") if s),
        score=-score if negate else score,
        title_marks=mark(row["title"], terms, None),
        snippet=snippet,
    )


class _FoldTable(dict[int, str]):
    """For ``str.translate``: each character folded as the index folds it, when that keeps it one
    character ("Ü" -> "u"), so offsets in the folded text are offsets in the original."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = fold(char)
        value = folded if len(folded) == 1 else (char.lower() if len(char.lower()) == 1 else char)
        self[code] = value
        return value


_FOLD_TABLE = _FoldTable()


def _pattern(terms: Sequence[Term]) -> re.Pattern[str]:
    """One regex for every term over folded text, on the index's word boundaries."""
    alternatives = []
    for term in terms:
        words = [re.escape(w) for w in term.words]
        if term.prefix:
            words[-1] += r"[^\W_]*"
        alternatives.append(r"[\W_]+".join(words))
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")(?![^\W_])")


def mark(text: str, terms: Sequence[Term], words: int | None) -> Segments:
    """``text`` cut into segments, those matching a term flagged; with ``words``, only a
    window of about that many words around the most matches (``…`` where text was cut)."""
    if not text:
        return ()
    folded = text.lower() if text.isascii() else text.translate(_FOLD_TABLE)
    found = [(m.start(), m.end()) for m in _pattern(terms).finditer(folded)]
    first, last = 0, len(text)
    if words is not None and len(text) > words * 7:
        width = words * 7
        # The window (of characters) that starts at a match and holds the most of them.
        best = max(
            range(min(len(found), 100)),
            key=lambda i: sum(1 for s, _ in found[i : i + 100] if s < found[i][0] + width),
            default=-1,
        )
        lead = found[best][0] if best >= 0 else 0
        first = max(0, lead - width // 6)
        if first > 0:
            space = text.find(" ", first, lead)
            first = space + 1 if space >= 0 else first
        last = min(len(text), first + width)
        if last < len(text):
            space = text.rfind(" ", max(first, found[best][1] if best >= 0 else first), last)
            last = space if space > 0 else last
    out: list[tuple[str, bool]] = [("…", False)] if first > 0 else []
    at = first
    for s, e in found:
        if s < first or e > last:
            continue
        if s > at:
            out.append((text[at:s], False))
        out.append((text[s:e], True))
        at = e
    if last > at:
        out.append((text[at:last], False))
    if last < len(text):
        out.append(("…", False))
    return tuple(out)


def as_html(segments: Segments) -> Markup:
    """Segments as HTML: every part escaped, the matches in ``<mark>``."""
    return Markup("").join(Markup("<mark>%s</mark>") % t if hit else escape(t) for t, hit in segments)


def as_text(segments: Segments, marker: str = TEXT_MARK) -> str:
    """Segments as plain text, the matches between ``marker``s, on one line."""
    text = "".join(f"{marker}{t}{marker}" if hit else t for t, hit in segments)
    return " ".join(text.split())


def plain(segments: Segments) -> tuple[str, list[list[int]]]:
    """The segments' text and the [start, end) character ranges of the matches in it."""
    text, ranges = "", []
    for part, hit in segments:
        if hit:
            ranges.append([len(text), len(text) + len(part)])
        text += part
    return text, ranges
