"""The article series of tests/fixtures/cases (one invented case over many reports, and decoys),
extracted by the real pipeline once per session and stored in a real archive."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from bulletin.records import Article
from bulletin.store import Store

SERIES = Path(__file__).parent / "fixtures" / "cases"
# Reports described rather than named in full (role, employer, "detained last year"), with a
# namesake decoy and co-defendants: what case linking reads beyond the tagged entities.
DESCRIBED = Path(__file__).parent / "fixtures" / "cases_described"
PIPELINE = "test-cases"


def items(series: Path = SERIES) -> list[dict[str, Any]]:
    with (series / "input.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def gold(series: Path = SERIES) -> dict[str, dict[str, Any]]:
    with (series / "gold.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return {row["id"]: row for row in rows}


@cache
def _pipeline() -> Any:
    import nlp

    return nlp.build_nlp()


@cache
def records(series: Path = SERIES) -> dict[str, dict[str, Any]]:
    """The pipeline's extraction record of each article, by fixture id."""
    import nlp

    return {str(r.id): r.to_json() for r in nlp.extract(_pipeline(), items(series))}


def published(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["published"]).replace(hour=8, tzinfo=UTC)


def _clock(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def build(
    store: Store,
    only: set[str] | None = None,
    delay: timedelta = timedelta(hours=2),
    series: Path = SERIES,
) -> dict[str, int]:
    """Store the series' articles (``only`` these ids, when given) with their records, each
    reaching the archive ``delay`` after it was published; return fixture id -> story id."""
    ids = {}
    for item in items(series):
        if only is not None and item["id"] not in only:
            continue
        moment = published(item)
        store.clock = _clock(moment + delay)
        article = Article(
            source=item["source"],
            url=item["url"],
            title=item["title"],
            text=item["text"],
            fetched_at=moment + delay,
            published_at=moment,
        )
        saved = store.save_article(article, None, None)
        record = {**records(series)[item["id"]], "id": str(saved.id)}
        store.save_extraction(saved.id, PIPELINE, record)
        ids[item["id"]] = saved.story_id
    return ids
