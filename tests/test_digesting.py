"""Which cases a digest holds: daily and weekly digests by arrival in the archive, reports by publication.

Time is injected: the store's clock says when each article was first stored, and each
digest is built at a given ``now``.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from bulletin.digesting import FEED_FILE, build_digest, build_feed, write_digest
from bulletin.errors import BulletinError
from bulletin.periods import Period, period_for
from bulletin.records import Article, CrawlStats
from bulletin.similarity import signature
from bulletin.store import MIGRATIONS, Store

ZONE = "Asia/Shanghai"
MONDAY = date(2026, 11, 23)


def at(day: date, hour: float) -> datetime:
    """``hour`` o'clock Beijing time on ``day``, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour - 8)


class Clock:
    def __init__(self) -> None:
        self.now = at(MONDAY, 0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock, memory_archive: str) -> Iterator[Store]:
    with Store.open(memory_archive, clock=clock) as opened:
        yield opened


_ids = itertools.count(1)


def store_case(
    store: Store, clock: Clock, stored: datetime, published: datetime | None, title: str = ""
) -> int:
    """Store one relevant article at ``stored`` (the clock's time), with its extraction."""
    n = next(_ids)
    clock.now = stored
    text = f"Case {n}: " + " ".join(f"word{n}x{i}" for i in range(60))
    article = Article(
        source="globaltimes",
        url=f"https://www.globaltimes.cn/page/2026/{n}.shtml",
        title=title or f"Case {n}",
        text=text,
        fetched_at=stored,
        published_at=published,
    )
    saved = store.save_article(article, None, signature(text))
    store.save_extraction(saved.id, "test", {"id": str(n), "relevant": True, "subjects": [f"Person {n}"]})
    return saved.id


def daily(store: Store, day: date, now: datetime) -> list[str]:
    """The headlines of the daily digest of ``day`` built at ``now``."""
    period = period_for("daily", ZONE, now, day)
    return [case.headline for case in build_digest(store, period, now=now).cases]


def test_a_case_published_monday_and_found_wednesday_is_in_wednesdays_digest(store, clock):
    store_case(store, clock, at(MONDAY + timedelta(2), 15), at(MONDAY, 9), "Monday's case")
    # Each morning at 07:00 the scheduled run renders the day before.
    assert daily(store, MONDAY, at(MONDAY + timedelta(1), 7)) == []
    assert daily(store, MONDAY + timedelta(1), at(MONDAY + timedelta(2), 7)) == []
    assert daily(store, MONDAY + timedelta(2), at(MONDAY + timedelta(3), 7)) == ["Monday's case"]
    period = period_for("daily", ZONE, at(MONDAY + timedelta(3), 7), MONDAY + timedelta(2))
    [case] = build_digest(store, period, now=at(MONDAY + timedelta(3), 8)).cases
    assert case.published_at == at(MONDAY, 9)  # shown beside it
    assert case.first_stored_at == at(MONDAY + timedelta(2), 15)


def test_consecutive_daily_digests_share_nothing_and_miss_nothing(store, clock):
    # Articles arriving around the clock for a week, published from a month back to the same
    # hour; some arrive minutes before and after each 07:00 run, some exactly at midnight.
    arrivals = [
        at(MONDAY, 0),
        at(MONDAY, 6.99),
        at(MONDAY, 7.01),
        *(at(MONDAY + timedelta(d), h) for d in range(1, 6) for h in (0, 3, 6.5, 7.2, 13, 23.9)),
    ]
    titles = []
    for n, stored in enumerate(arrivals):
        published = stored - timedelta(days=n % 30) if n % 4 else None
        titles.append(f"arrived {stored.isoformat()}")
        store_case(store, clock, stored, published, titles[-1])
    seen: list[str] = []
    for offset in range(6):  # the runs of Tuesday 07:00 to Sunday 07:00
        day = MONDAY + timedelta(offset)
        seen += daily(store, day, at(day + timedelta(1), 7.05))
    last_run = at(MONDAY + timedelta(6), 7.05)
    expected = [t for t, s in zip(titles, arrivals, strict=True) if s < last_run]
    assert len(seen) == len(set(seen))  # nothing twice
    assert sorted(seen) == sorted(expected)  # nothing missed, up to the last run


def test_a_run_renders_every_case_its_crawl_stored(store, clock):
    """The 07:00 run crawls, then renders yesterday: the 5 articles it just stored are in it,
    whatever their publication dates (they once rendered "0 new cases")."""
    today = date(2026, 11, 27)
    store_case(store, clock, at(today - timedelta(2), 12), at(today - timedelta(2), 9), "older")
    assert daily(store, today - timedelta(2), at(today - timedelta(1), 7)) == ["older"]
    stored = [
        store_case(store, clock, at(today, 7) + timedelta(seconds=10 * n), at(today - timedelta(n * 3), 8))
        for n in range(5)
    ]
    period = period_for("daily", ZONE, at(today, 7.1))
    assert period.key == "daily:2026-11-26"
    digest = build_digest(store, period, now=at(today, 7.1))
    assert sorted(c.story_id for c in digest.cases) == sorted(stored)


def test_rendering_a_day_again_shows_the_same_cases(store, clock):
    store_case(store, clock, at(MONDAY, 12), at(MONDAY, 8), "first")
    first = daily(store, MONDAY, at(MONDAY + timedelta(1), 7))
    store_case(store, clock, at(MONDAY + timedelta(1), 12), at(MONDAY, 8), "late")
    assert daily(store, MONDAY, at(MONDAY + timedelta(3), 9)) == first == ["first"]


def test_a_period_not_over_is_previewed_without_being_recorded(store, clock):
    store_case(store, clock, at(MONDAY, 9), at(MONDAY, 8), "morning")
    assert daily(store, MONDAY, at(MONDAY, 10)) == ["morning"]
    store_case(store, clock, at(MONDAY, 20), at(MONDAY, 8), "evening")
    assert store.digest_window("daily:2026-11-23") is None
    assert daily(store, MONDAY, at(MONDAY + timedelta(1), 7)) == ["evening", "morning"]


def test_a_back_filled_day_between_two_recorded_ones_overlaps_neither(store, clock):
    for day in range(3):
        store_case(store, clock, at(MONDAY + timedelta(day), 12), None, f"day {day}")
    monday = daily(store, MONDAY, at(MONDAY + timedelta(1), 7))
    wednesday = daily(store, MONDAY + timedelta(2), at(MONDAY + timedelta(3), 7))
    tuesday = daily(store, MONDAY + timedelta(1), at(MONDAY + timedelta(4), 7))
    assert (monday, tuesday, wednesday) == (["day 0"], [], ["day 2", "day 1"])


def test_weekly_digests_keep_their_own_windows(store, clock):
    store_case(store, clock, at(MONDAY + timedelta(3), 12), at(MONDAY - timedelta(10), 8), "thursday")
    assert daily(store, MONDAY + timedelta(3), at(MONDAY + timedelta(4), 7)) == ["thursday"]
    week = period_for("weekly", ZONE, at(MONDAY + timedelta(7), 7))
    assert week.key == "weekly:2026-W48"
    assert [c.headline for c in build_digest(store, week, now=at(MONDAY + timedelta(7), 7)).cases] == [
        "thursday"
    ]


def test_a_report_selects_by_publication_date(store, clock):
    store_case(store, clock, at(MONDAY + timedelta(2), 15), at(MONDAY, 9), "published monday")
    store_case(
        store, clock, at(MONDAY + timedelta(2), 16), at(MONDAY + timedelta(2), 9), "published wednesday"
    )
    report = period_for("daily", ZONE, at(MONDAY + timedelta(5), 7), since=MONDAY, until=MONDAY)
    digest = build_digest(store, report, now=at(MONDAY + timedelta(5), 7))
    assert [c.headline for c in digest.cases] == ["published monday"]
    assert digest.stored_from is None
    assert store.digest_window(report.key) is None


def test_cases_run_newest_first(store, clock):
    for hours in (30, 2, 50, 10):
        store_case(store, clock, at(MONDAY, 12), at(MONDAY, 12) - timedelta(hours=hours), f"{hours} h old")
    assert daily(store, MONDAY, at(MONDAY + timedelta(1), 7)) == [
        "2 h old",
        "10 h old",
        "30 h old",
        "50 h old",
    ]


def test_an_update_never_moves_the_first_stored_time(store, clock):
    article_id = store_case(store, clock, at(MONDAY, 9), at(MONDAY, 8), "story")
    [article] = [a for a in store.articles() if a.id == article_id]
    clock.now = at(MONDAY + timedelta(3), 9)
    changed = Article(
        source=article.source,
        url=article.url,
        title=article.title,
        text=article.text + " A correction.",
        fetched_at=clock.now,
        published_at=article.published_at,
    )
    assert store.save_article(changed, None, signature(changed.text)).status == "updated"
    # Still Monday's case, and in no later digest.
    monday = period_for("daily", ZONE, at(MONDAY + timedelta(4), 7), MONDAY)
    [case] = build_digest(store, monday, now=at(MONDAY + timedelta(4), 7)).cases
    assert case.first_stored_at == at(MONDAY, 9)
    assert case.updated_at == at(MONDAY + timedelta(3), 9)  # the feed entry's <updated>
    assert daily(store, MONDAY + timedelta(3), at(MONDAY + timedelta(4), 7)) == []


def test_migration_gives_stored_articles_their_fetch_time(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    # An archive at schema version 4, made by the first four migrations themselves.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    for version, script in enumerate(MIGRATIONS[:4], start=1):
        conn.executescript(script)
        conn.execute("INSERT INTO schema_migrations VALUES (?, '2026-11-01T00:00:00+00:00')", (version,))
    conn.execute(
        "INSERT INTO articles (url, source, title, text, content_hash, fetched_at)"
        " VALUES ('https://x.example/1', 'x', 't', 'text', 'h', '2026-11-20T03:00:00+00:00')"
    )
    conn.close()
    with Store.open(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        row = store.conn.execute("SELECT first_stored_at FROM articles").fetchone()
    assert row[0] == "2026-11-20T03:00:00+00:00"


def test_failed_sources_are_those_of_the_digests_own_window(store, clock):
    """A past day's banner shows that day's failures, not later ones, and agrees with
    `bulletin sources`: a source that failed and then recovered within the day is fine."""

    def crawl(when: datetime, **health: bool) -> None:
        clock.now = when
        run = store.conn.execute(
            "INSERT INTO crawl_runs (started_at, command) VALUES (?, 'test') RETURNING id",
            (when.isoformat(),),
        ).fetchone()[0]
        for source, ok in health.items():
            store.record_source_stats(
                run, CrawlStats(source, requested=10, found=10 if ok else 0, errors=0 if ok else 10)
            )

    crawl(at(MONDAY, 7), globaltimes=True, doj=False)
    crawl(at(MONDAY, 12), globaltimes=False, doj=True)
    crawl(at(MONDAY + timedelta(1), 6.9), globaltimes=False, doj=True)
    crawl(at(MONDAY + timedelta(2), 7), globaltimes=True, doj=False)  # after Monday's digest
    monday = period_for("daily", ZONE, at(MONDAY + timedelta(1), 7), MONDAY)
    assert build_digest(store, monday, now=at(MONDAY + timedelta(1), 7)).failed_sources == ("globaltimes",)
    # Rendered again days later: still Monday's window, not Wednesday's failure.
    assert build_digest(store, monday, now=at(MONDAY + timedelta(5), 7)).failed_sources == ("globaltimes",)
    report = period_for("daily", ZONE, at(MONDAY + timedelta(5), 7), since=MONDAY, until=MONDAY)
    assert build_digest(store, report, now=at(MONDAY + timedelta(5), 7)).failed_sources == ("globaltimes",)


def test_the_stable_feed_is_written_beside_the_dated_files(
    store: Store, clock: Clock, tmp_path: Path
) -> None:
    url = "https://watch.example.org/feed.atom"
    written = []
    for offset in range(3):
        day = MONDAY + timedelta(offset)
        store_case(store, clock, at(day, 12), at(day, 9), f"case of day {offset}")
        period = period_for("daily", ZONE, at(day + timedelta(1), 7), day)
        digest = build_digest(store, period, now=at(day + timedelta(1), 7))
        written = write_digest(
            digest, period, ["html", "atom"], tmp_path, feed=build_feed(store, digest), feed_url=url
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"digest-daily_2026-11-{23 + n}.{ext}" for n in range(3) for ext in ("html", "xml")] + [FEED_FILE]
    )
    assert written[-1] == tmp_path / FEED_FILE
    feed = feedparser.parse((tmp_path / FEED_FILE).read_text(encoding="utf-8"))
    assert not feed.bozo
    assert feed.feed.id == "tag:bulletin-watch,2026:feed"
    assert [(link.rel, link.href) for link in feed.feed.links] == [("self", url)]
    assert [e.title for e in feed.entries] == ["case of day 2", "case of day 1", "case of day 0"]
    # Rendering Monday again must not rewind the feed to Monday.
    monday = period_for("daily", ZONE, at(MONDAY + timedelta(4), 7), MONDAY)
    again = build_digest(store, monday, now=at(MONDAY + timedelta(4), 7))
    assert build_feed(store, again) is None


def test_feed_entry_ids_survive_a_rebuild_of_the_database(tmp_path: Path) -> None:
    """The same articles crawled into a fresh archive in another order get new row ids but
    keep their entry ids."""
    urls = [f"https://www.globaltimes.cn/page/2026/{n}.shtml" for n in range(4)]

    def feed_ids(order: list[int]) -> list[str]:
        clock = Clock()
        store = Store.open(":memory:", clock=clock)
        for n in order:
            clock.now = at(MONDAY, 9 + n / 10)
            text = " ".join(f"story{n}w{i}" for i in range(50))
            saved = store.save_article(
                Article("globaltimes", urls[n], f"Story {n}", text, clock.now, at(MONDAY, 8 - n / 10)),
                None,
                signature(text),
            )
            store.save_extraction(saved.id, "test", {"relevant": True})
        period = period_for("daily", ZONE, at(MONDAY + timedelta(1), 7), MONDAY)
        digest = build_digest(store, period, now=at(MONDAY + timedelta(1), 7))
        feed = build_feed(store, digest)
        assert feed is not None
        write_digest(digest, period, ["atom"], tmp_path, feed=feed)
        parsed = feedparser.parse((tmp_path / FEED_FILE).read_text(encoding="utf-8"))
        assert not parsed.bozo
        return sorted(e.id for e in parsed.entries)

    first, rebuilt = feed_ids([0, 1, 2, 3]), feed_ids([3, 1, 0, 2])
    assert first == rebuilt == sorted(f"tag:bulletin-watch,2026:{url}" for url in urls)


def test_a_feed_url_that_is_not_http_is_refused(store: Store, tmp_path: Path) -> None:
    period = Period("daily", "daily:x", at(MONDAY, 0), at(MONDAY, 24))
    digest = build_digest(store, period, now=at(MONDAY, 10))
    with pytest.raises(BulletinError, match=r"digest.feed_url must be an http\(s\) URL"):
        write_digest(digest, period, ["atom"], tmp_path, feed_url="javascript:alert(1)")


def test_close_calls_are_listed_near_the_line_not_lost(store: Store, clock: Clock, tmp_path: Path) -> None:
    """A story judged not a case, but close to the line, is listed with its score; a clear
    non-case is not, and neither is counted among the cases."""
    stored = at(MONDAY, 12)
    for title, relevance in (("<b>Close</b> call", 0.42), ("Football results", 0.05)):
        n = next(_ids)
        clock.now = stored
        text = f"Story {n}: " + " ".join(f"word{n}x{i}" for i in range(60))
        saved = store.save_article(
            Article(
                source="globaltimes",
                url=f"https://www.globaltimes.cn/page/2026/{n}.shtml",
                title=title,
                text=text,
                fetched_at=stored,
                published_at=stored,
            ),
            None,
            signature(text),
        )
        store.save_extraction(saved.id, "test", {"id": str(n), "relevant": False, "relevance": relevance})
    period = period_for("daily", ZONE, at(MONDAY + timedelta(1), 7), MONDAY)
    digest = build_digest(store, period, now=at(MONDAY + timedelta(1), 7), near_line=0.3)
    assert digest.cases == ()
    assert [c.headline for c in digest.near_line] == ["<b>Close</b> call"]
    assert build_digest(store, period, now=at(MONDAY + timedelta(1), 7)).near_line == ()
    paths = write_digest(digest, period, ["html", "md", "txt"], tmp_path)
    html, md, txt = (p.read_text(encoding="utf-8") for p in paths)
    assert "Near the line" in html
    assert "&lt;b&gt;Close&lt;/b&gt; call (0.42)" in html
    assert "<b>Close" not in html
    assert "## Near the line" in md
    assert "<b>" not in md
    assert "NEAR THE LINE" in txt
    assert "(0.42)" in txt
    assert "Football" not in html + md + txt
    with pytest.raises(BulletinError, match="near_line"):
        build_digest(store, period, now=at(MONDAY + timedelta(1), 7), near_line=0.5)
