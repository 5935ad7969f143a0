"""Real crawls of the Global Times sample site (sections, sitemap, search) in a child process."""

from __future__ import annotations

from typing import Any

import pytest

from bulletin.sample_server import SampleServer
from tests.conftest import Bulletin, make_bulletin
from tests.crawler.oracle import check, stored_by_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def backfill(tmp_path_factory: pytest.TempPathFactory, sample_server: SampleServer) -> Bulletin:
    """One crawl that uses every discovery route: sections, sitemap and (with --since) search."""
    bulletin = make_bulletin(tmp_path_factory.mktemp("gt"), sample_server)
    bulletin.run("crawl", "globaltimes", "--since", "2025-01-01")
    return bulletin


def test_every_expected_article_is_stored_as_the_page_states(
    backfill: Bulletin, expected: dict[str, Any], sample_server: SampleServer
) -> None:
    with backfill.store() as store:
        assert check(store, sample_server.base("globaltimes"), expected["globaltimes"]["article"]) == []


def test_relevance_flag_matches_the_oracle(
    backfill: Bulletin, expected: dict[str, Any], sample_server: SampleServer
) -> None:
    with backfill.store() as store:
        stored = stored_by_path(store, sample_server.base("globaltimes"))
    wrong = {
        e["path"]: e["relevant"]
        for e in expected["globaltimes"]["article"]
        if stored[e["path"]].relevant != e["relevant"]
    }
    assert wrong == {}


def test_awkward_pages_are_skipped_and_counted_by_reason(
    backfill: Bulletin, sample_server: SampleServer
) -> None:
    with backfill.store() as store:
        [stats] = store.run_stats(store.runs(1)[0]["id"])
        stored = stored_by_path(store, sample_server.base("globaltimes"))
    assert stats.error_kinds == {"http_404": 1, "http_500": 1, "timeout": 1, "too_large": 1}
    assert stats.dropped == {"empty": 1, "not_article": 1, "offsite": 1, "robots": 1}
    assert not any(p.startswith("/private/") for p in stored)
    assert "/page/202503/1330550.shtml" not in stored  # empty body
    assert "/page/202503/1330600.shtml" not in stored  # video page, no headline


def test_query_string_copies_are_one_article(backfill: Bulletin) -> None:
    with backfill.store() as store:
        assert set(store.url_counts().values()) == {1}
        assert not any("?" in url for url in store.url_counts())


def test_rerun_requests_no_stored_article_but_rereads_listings(backfill: Bulletin) -> None:
    with backfill.store() as store:
        before = store.count_articles()
    backfill.run("crawl", "globaltimes")
    with backfill.store() as store:
        [stats] = store.run_stats(store.runs(1)[0]["id"])
        assert store.count_articles() == before
    assert stats.new == 0
    assert stats.skipped >= 10
    # robots.txt, two sections and the sitemap are read again; no stored article is.
    assert stats.requested >= 4


def test_without_since_only_sections_and_sitemap_are_read(
    tmp_path: Any, sample_server: SampleServer, expected: dict[str, Any]
) -> None:
    bulletin = make_bulletin(tmp_path, sample_server)
    bulletin.run("crawl", "globaltimes")
    with bulletin.store() as store:
        stored = stored_by_path(store, sample_server.base("globaltimes"))
    search_only = [e["path"] for e in expected["globaltimes"]["article"] if e["via"] == ["search"]]
    assert search_only
    assert not set(search_only) & set(stored)
    listed = [e["path"] for e in expected["globaltimes"]["article"] if e["via"] != ["search"]]
    assert set(listed) <= set(stored)


def test_refresh_requests_stored_articles_again_and_keeps_unchanged_ones(
    tmp_path: Any, sample_server: SampleServer
) -> None:
    bulletin = make_bulletin(tmp_path, sample_server)
    bulletin.run("crawl", "globaltimes")
    with bulletin.store() as store:
        before = {a.url: a.id for a in store.articles()}
    bulletin.run("crawl", "globaltimes", "--refresh")
    with bulletin.store() as store:
        [stats] = store.run_stats(store.runs(1)[0]["id"])
        after = {a.url: a.id for a in store.articles()}
    assert after == before  # same rows, nothing duplicated
    assert stats.skipped == 0
    assert stats.new == stats.updated == 0  # the pages did not change
    assert stats.found >= len(before)
