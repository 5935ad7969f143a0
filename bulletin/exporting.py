"""Export the archive's articles with their extraction records: JSON Lines, CSV or spaCy DocBin.

A format is an ``ExportFormat`` in ``FORMATS``: a writer taking the selected rows and a
binary stream (binary so that a format such as spaCy's ``DocBin`` can slot in beside the
text ones). The rows come from ``Selection.rows``, one article at a time from the store's
cursor, so an export never holds the archive in memory; a selection by review state
(``--reviewed-only``) is part of the ``Selection``. Every record is the effective one: the
machine's with the analyst's corrections applied (``bulletin.corrections``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from bulletin.records import Article
from bulletin.store import Store, StoredExtraction

# The extraction record's keys (the output contract of `bulletin extract`), in its order;
# "relevance" is the extraction's 0..1 score (absent from records made before 2026-12-01: null).
RECORD_KEYS = (
    "id",
    "relevant",
    "url",
    "title",
    "published",
    "subjects",
    "entities",
    "tactics",
    "penalties",
    "laws",
    "stage",
    "relevance",
)
# The CSV has one row per penalty imposed, with the article it comes from.
PENALTY_COLUMNS = ("article_id", "url", "published", "person", "kind", "months", "amount", "currency")

Row = tuple[Article, StoredExtraction | None]


@dataclass
class Count:
    """What an export wrote: articles read, of which extracted, and output rows (lines or CSV rows)."""

    articles: int = 0
    extracted: int = 0
    rows: int = 0


@dataclass(frozen=True)
class Selection:
    """Which articles to export: publication days ``since``..``until`` (inclusive), and
    with ``reviewed_only`` just those an analyst has finished reviewing."""

    since: date | None = None
    until: date | None = None
    reviewed_only: bool = False

    def rows(self, store: Store) -> Iterator[Row]:
        return store.export_rows(self.since, self.until, self.reviewed_only)


def article_record(article: Article, stored: StoredExtraction | None) -> dict[str, Any]:
    """One article as a JSON object: the extraction record's keys, then the article's metadata.

    An article not extracted yet has ``relevant`` null, empty lists and a null
    ``pipeline_version``, so every line has the same keys.
    """
    published = article.published_at.date().isoformat() if article.published_at else None
    base: dict[str, Any] = {
        "id": str(article.id),
        "relevant": None,
        "url": article.url,
        "title": article.title,
        "published": published,
        "subjects": [],
        "entities": [],
        "tactics": [],
        "penalties": [],
        "laws": [],
        # The furthest legal stage (issue 12); null when the report gives none, so that every
        # line has the same keys.
        "stage": None,
        "relevance": None,
    }
    if stored is not None:
        base.update({k: v for k, v in stored.record.items() if k in RECORD_KEYS and k != "id"})
    base.update(
        source=article.source,
        story_id=article.story_id,
        published_at=article.published_at.isoformat() if article.published_at else None,
        fetched_at=article.fetched_at.isoformat(),
        byline=article.byline,
        section=article.section,
        lang=article.lang,
        topic_score=article.relevance,
        pipeline_version=stored.pipeline_version if stored else None,
        extracted_at=stored.extracted_at.isoformat() if stored else None,
        review_status=stored.review_status if stored else None,
        text=article.text,
    )
    return base


@contextmanager
def _text(out: IO[bytes]) -> Iterator[IO[str]]:
    """A UTF-8 text view of ``out`` that leaves ``out`` open when done."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        yield text
    finally:
        text.flush()
        text.detach()


def write_jsonl(rows: Iterable[Row], out: IO[bytes]) -> Count:
    """JSON Lines: one object per article (see ``article_record``)."""
    count = Count()
    with _text(out) as text:
        for article, stored in rows:
            text.write(json.dumps(article_record(article, stored), ensure_ascii=False) + "\n")
            count.articles += 1
            count.extracted += stored is not None
            count.rows += 1
    return count


def write_csv(rows: Iterable[Row], out: IO[bytes]) -> Count:
    """CSV: a header, then one row per penalty (articles without penalties give no row)."""
    count = Count()
    with _text(out) as text:
        writer = csv.DictWriter(text, fieldnames=PENALTY_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for article, stored in rows:
            count.articles += 1
            if stored is None:
                continue
            count.extracted += 1
            published = article.published_at.date().isoformat() if article.published_at else ""
            for penalty in stored.record.get("penalties", ()):
                writer.writerow(
                    {
                        "article_id": article.id,
                        "url": article.url,
                        "published": published,
                        **{k: penalty.get(k, "") for k in ("person", "kind", "months", "amount", "currency")},
                    }
                )
                count.rows += 1
    return count


def write_spacy(rows: Iterable[Row], out: IO[bytes]) -> Count:
    """spaCy's ``DocBin``: one ``Doc`` per extracted article (see ``nlp.docbin``).

    A ``DocBin`` is one serialised object, so this format, unlike the others, holds the
    selected articles in memory; with ``--reviewed-only`` that is what analysts checked.
    """
    from nlp.docbin import docbin_bytes

    count = Count()

    def examples() -> Iterator[tuple[str, dict[str, Any]]]:
        for article, stored in rows:
            count.articles += 1
            if stored is not None:
                count.extracted += 1
                count.rows += 1
                yield article.text, stored.record

    out.write(docbin_bytes(examples()))
    return count


@dataclass(frozen=True)
class ExportFormat:
    name: str
    write: Callable[[Iterable[Row], IO[bytes]], Count]
    unit: str  # what one output row is, for the summary line


FORMATS: dict[str, ExportFormat] = {
    "jsonl": ExportFormat("jsonl", write_jsonl, "articles"),
    "csv": ExportFormat("csv", write_csv, "penalties"),
    "spacy": ExportFormat("spacy", write_spacy, "docs"),
}


def export(store: Store, fmt: str, selection: Selection, out: IO[bytes]) -> Count:
    """Write the selected articles to ``out`` in format ``fmt`` (a key of ``FORMATS``)."""
    return FORMATS[fmt].write(selection.rows(store), out)
