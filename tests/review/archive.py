"""A small archive of hand-labelled records for the review tests (offsets computed, not typed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bulletin.records import Article
from bulletin.store import Store

PIPELINE = "test-review-1"
BASE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def span(text: str, words: str, nth: int = 0) -> tuple[int, int]:
    at = -1
    for _ in range(nth + 1):
        at = text.index(words, at + 1)
    return at, at + len(words)


FENG = (
    "A former engineer surnamed Feng was sentenced to six years in prison for espionage by a court in "
    "Beijing. The Ministry of State Security said a foreign agent offered him a high consulting fee. "
    "Feng was also deprived of political rights for two years."
)
HOSTILE = (
    'Officials said <script>alert("body")</script> and <img src=x onerror=alert(1)> and '
    '<a href="javascript:alert(2)">click</a>. A man surnamed Zhao was sentenced to ten years in prison '
    "for spying."
)
COLE = (
    "Thomas Cole, 41, of Ohio, was arrested on Monday and charged with conspiring to transmit national "
    "defense information to a foreign government. He was recruited online through a professional "
    "networking site."
)
MATCH = "The table tennis final was won in five games by the home side."


def feng_record(text: str = FENG) -> dict[str, Any]:
    t0, t1 = span(text, "offered him a high consulting fee")
    p0, p1 = span(text, "sentenced to six years in prison")
    e0, e1 = span(text, "Feng")
    o0, o1 = span(text, "Ministry of State Security")
    return {
        "relevant": True,
        "relevance": 0.93,
        "subjects": ["Feng"],
        "entities": [
            {"text": "Feng", "label": "PERSON", "start": e0, "end": e1},
            {"text": "Ministry of State Security", "label": "ORG", "start": o0, "end": o1},
        ],
        "tactics": [{"label": "financial_inducement", "evidence": text[t0:t1], "start": t0, "end": t1}],
        "penalties": [
            {
                "person": "Feng",
                "kind": "imprisonment",
                "months": 72,
                "evidence": text[p0:p1],
                "start": p0,
                "end": p1,
            },
            {"person": "Feng", "kind": "political_rights_deprivation", "months": 24},
        ],
        "laws": [],
    }


def records() -> list[tuple[Article, dict[str, Any]]]:
    """(article, machine record) for the four test articles, oldest first."""
    z0, z1 = span(HOSTILE, "sentenced to ten years in prison")
    c0, c1 = span(COLE, "recruited online through a professional networking site")
    articles = [
        (
            Article(
                source="globaltimes",
                url="https://www.globaltimes.cn/page/202611/1.shtml",
                title="Engineer surnamed Feng sentenced for espionage",
                text=FENG,
                fetched_at=BASE,
                published_at=BASE - timedelta(hours=3),
            ),
            feng_record(),
        ),
        (
            Article(
                source="chinadaily",
                url="https://www.chinadaily.com.cn/a/202611/21/WS2.html",
                title='Zhao jailed <script>alert("title")</script><img src=x onerror=alert(3)>',
                text=HOSTILE,
                fetched_at=BASE + timedelta(days=1),
                published_at=BASE + timedelta(days=1),
            ),
            {
                "relevant": True,
                "relevance": 0.62,
                "subjects": ["Zhao"],
                "entities": [],
                "tactics": [],
                "penalties": [
                    {
                        "person": None,
                        "kind": "imprisonment",
                        "months": 120,
                        "evidence": HOSTILE[z0:z1],
                        "start": z0,
                        "end": z1,
                    }
                ],
                "laws": [],
            },
        ),
        (
            Article(
                source="doj",
                url="https://www.justice.gov/opa/pr/ohio-man-arrested",
                title="Ohio man arrested for conspiring to transmit national defense information",
                text=COLE,
                fetched_at=BASE + timedelta(days=2),
                published_at=BASE + timedelta(days=2),
            ),
            {
                "relevant": True,
                "relevance": 0.97,
                "subjects": ["Thomas Cole"],
                "entities": [],
                "tactics": [{"label": "online_approach", "evidence": COLE[c0:c1], "start": c0, "end": c1}],
                "penalties": [],
                "laws": [],
            },
        ),
        (
            Article(
                source="chinadaily",
                url="https://www.chinadaily.com.cn/a/202611/22/WS3.html",
                title="Home side wins the table tennis final",
                text=MATCH,
                fetched_at=BASE + timedelta(days=3),
                published_at=BASE + timedelta(days=3),
            ),
            {
                "relevant": False,
                "relevance": 0.02,
                "subjects": [],
                "entities": [],
                "tactics": [],
                "penalties": [],
                "laws": [],
            },
        ),
    ]
    return articles


def build(db: Path) -> dict[str, int]:
    """Store the four articles with their records; their ids by surname (or 'match')."""
    ids = {}
    with Store.open(db, clock=lambda: BASE) as store:
        for (article, record), name in zip(records(), ("feng", "zhao", "cole", "match"), strict=True):
            saved = store.save_article(article, run_id=None, sig=None)
            ids[name] = saved.id
            published = article.published_at.date().isoformat() if article.published_at else None
            meta = {"url": article.url, "title": article.title, "published": published}
            store.save_extraction(saved.id, PIPELINE, {"id": str(saved.id), **meta, **record})
    return ids
