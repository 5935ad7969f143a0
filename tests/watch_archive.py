"""A small archive of hand-written stories and extraction records for the watchlist and trend tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bulletin.records import Article
from bulletin.store import Store

PIPELINE = "test-watch"
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)

ZHAO_TEXT = (
    "BEIJING - Minghui Zhao, an engineer at Pacific Rim Avionics in Dalian, was sentenced to "
    "seven years in prison on Tuesday for selling drawings to a foreign agent, the Ministry "
    "of State Security said. He had been approached online in 2022."
)
WANG_TEXT = (
    "A court in Qingdao sentenced Wang Lei to three years for leaking shipyard photographs. "
    "Investigators said he was offered money through a recruitment website."
)
LEUNG_TEXT = (
    "Kelvin Chun Ho Leung was arrested in Boston and charged with acting as an agent of a "
    "foreign government, the Justice Department said. <script>alert(1)</script> was in his notes."
)


def record(text: str, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "relevant": True,
        "subjects": [],
        "entities": [],
        "tactics": [],
        "penalties": [],
        "laws": [],
        "relevance": 0.9,
    }
    out.update(fields)
    return out


def span(text: str, words: str, **extra: Any) -> dict[str, Any]:
    start = text.index(words)
    return {"start": start, "end": start + len(words), **extra}


def zhao_record(text: str = ZHAO_TEXT) -> dict[str, Any]:
    return record(
        text,
        subjects=["Zhao Minghui"],
        entities=[
            {"text": "Minghui Zhao", "label": "PERSON", **span(text, "Minghui Zhao")},
            {"text": "Pacific Rim Avionics", "label": "ORG", **span(text, "Pacific Rim Avionics")},
            {"text": "Dalian", "label": "GPE", **span(text, "Dalian")},
        ],
        tactics=[
            {"label": "online_approach", "evidence": "approached online", **span(text, "approached online")}
        ],
        penalties=[
            {
                "person": "Zhao Minghui",
                "kind": "imprisonment",
                "months": 84,
                "evidence": "seven years in prison",
                **span(text, "seven years in prison"),
            }
        ],
        stage={"label": "sentencing", "evidence": "sentenced", **span(text, "sentenced"), "events": []},
    )


def wang_record() -> dict[str, Any]:
    text = WANG_TEXT
    return record(
        text,
        subjects=["Wang Lei"],
        entities=[{"text": "Qingdao", "label": "GPE", **span(text, "Qingdao")}],
        tactics=[
            {"label": "financial_inducement", "evidence": "offered money", **span(text, "offered money")}
        ],
        penalties=[
            {
                "person": "Wang Lei",
                "kind": "imprisonment",
                "months": 36,
                "evidence": "three years",
                **span(text, "three years"),
            }
        ],
        stage={"label": "sentencing", "evidence": "sentenced", **span(text, "sentenced"), "events": []},
    )


def leung_record() -> dict[str, Any]:
    text = LEUNG_TEXT
    return record(
        text,
        subjects=["Kelvin Chun Ho Leung"],
        entities=[
            {"text": "Boston", "label": "GPE", **span(text, "Boston")},
            {"text": "the Justice Department", "label": "ORG", **span(text, "the Justice Department")},
        ],
        stage={"label": "charge", "evidence": "charged", **span(text, "charged"), "events": []},
    )


def _clock(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def put(
    store: Store,
    url: str,
    title: str,
    text: str,
    rec: dict[str, Any],
    published: datetime,
    source: str = "globaltimes",
    stored: datetime | None = None,
) -> int:
    """Store one article with its record at ``stored`` (the store's clock); return its story id."""
    stored = stored or published + timedelta(hours=2)
    store.clock = _clock(stored)
    saved = store.save_article(
        Article(source=source, url=url, title=title, text=text, fetched_at=stored, published_at=published),
        None,
        None,
    )
    assert saved.id is not None
    store.save_extraction(saved.id, PIPELINE, {**rec, "id": str(saved.id), "url": url, "title": title})
    return int(saved.story_id or saved.id)


def build(store: Store, when: datetime = T0) -> dict[str, int]:
    """Three stories: Zhao (sentenced, seven years), Wang (three years), Leung (charged, DOJ)."""
    return {
        "zhao": put(
            store,
            "https://www.globaltimes.cn/page/1.shtml",
            "Engineer jailed for selling drawings",
            ZHAO_TEXT,
            zhao_record(),
            when,
        ),
        "wang": put(
            store,
            "https://www.chinadaily.com.cn/a/2.html",
            "Shipyard leaker sentenced",
            WANG_TEXT,
            wang_record(),
            when + timedelta(days=1),
            "chinadaily",
        ),
        "leung": put(
            store,
            "https://www.justice.gov/opa/pr/3",
            "Man charged <b>as agent</b>",
            LEUNG_TEXT,
            leung_record(),
            when + timedelta(days=2),
            "doj",
        ),
    }
