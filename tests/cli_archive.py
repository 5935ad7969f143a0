"""A small real archive for the CLI tests: three articles, two of them extracted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bulletin.records import Article
from bulletin.store import Store

BEIJING = timezone(timedelta(hours=8))
PIPELINE = "test-1"

CASE_TEXT = (
    "A former engineer surnamed Feng was sentenced to six years in prison for espionage. "
    "He was offered a high consulting fee. Feng was also fined 500,000 yuan."
)
CASE_RECORD: dict[str, Any] = {
    "relevant": True,
    "subjects": ["Feng"],
    "entities": [{"text": "Feng", "label": "PERSON", "start": 27, "end": 31}],
    "tactics": [
        {
            "label": "financial_inducement",
            "evidence": "offered a high consulting fee",
            "start": 95,
            "end": 124,
        }
    ],
    "penalties": [
        {
            "person": "Feng",
            "kind": "imprisonment",
            "months": 72,
            "evidence": "sentenced to six years in prison",
        },
        {"person": "Feng", "kind": "fine", "amount": 500000, "currency": "CNY"},
    ],
    "laws": [{"text": "Article 7 of the Counter-Espionage Law", "start": 0, "end": 0}],
}


def build_archive(db: Path) -> dict[str, int]:
    """Save the articles (and two extraction records) into a new archive at ``db``; return their ids."""
    fetched = datetime(2025, 3, 9, tzinfo=UTC)
    articles = {
        "case": Article(
            source="globaltimes",
            url="https://www.globaltimes.cn/page/202503/1330012.shtml",
            title="Engineer surnamed Feng sentenced <script>alert(1)</script>",
            text=CASE_TEXT,
            fetched_at=fetched,
            published_at=datetime(2025, 3, 8, 23, 30, tzinfo=BEIJING),
            section="China",
        ),
        "sport": Article(
            source="chinadaily",
            url="https://www.chinadaily.com.cn/a/202503/20/WS1.html",
            title="Table tennis final \x1b[31mred\x1b[0m",
            text="The final was won in five games.",
            fetched_at=fetched,
            published_at=datetime(2025, 3, 20, 9, 0, tzinfo=BEIJING),
        ),
        "undated": Article(
            source="doj",
            url="https://www.justice.gov/opa/pr/undated",
            title="A release without a date",
            text="Nothing dated here.",
            fetched_at=fetched,
        ),
    }
    ids = {}
    with Store.open(db) as store:
        for key, article in articles.items():
            ids[key] = store.save_article(article, run_id=None, sig=None).id
        case = articles["case"]
        store.save_extraction(
            ids["case"],
            PIPELINE,
            {
                "id": str(ids["case"]),
                "url": case.url,
                "title": case.title,
                "published": "2025-03-08",
                **CASE_RECORD,
            },
        )
        store.save_extraction(
            ids["sport"],
            PIPELINE,
            {
                "id": str(ids["sport"]),
                "relevant": False,
                "url": articles["sport"].url,
                "title": articles["sport"].title,
                "published": "2025-03-20",
                "subjects": [],
                "entities": [],
                "tactics": [],
                "penalties": [],
                "laws": [],
            },
        )
    return ids
