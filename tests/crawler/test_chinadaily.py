"""Real crawls of the China Daily sample site: section pages and the JSON search API."""

from __future__ import annotations

from typing import Any

import pytest

from bulletin.sample_server import SampleServer
from tests.conftest import Bulletin, make_bulletin
from tests.crawler.oracle import check, stored_by_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory, sample_server: SampleServer) -> Bulletin:
    bulletin = make_bulletin(tmp_path_factory.mktemp("cd"), sample_server)
    bulletin.run("crawl", "chinadaily")
    return bulletin


def test_every_expected_article_is_stored(
    crawled: Bulletin, expected: dict[str, Any], sample_server: SampleServer
) -> None:
    with crawled.store() as store:
        assert check(store, sample_server.base("chinadaily"), expected["chinadaily"]["article"]) == []


def test_api_records_with_full_text_are_not_fetched(
    crawled: Bulletin, expected: dict[str, Any], sample_server: SampleServer
) -> None:
    api_only = [e["path"] for e in expected["chinadaily"]["article"] if e.get("served") is False]
    assert api_only
    with crawled.store() as store:
        stored = stored_by_path(store, sample_server.base("chinadaily"))
        [stats] = store.run_stats(store.runs(1)[0]["id"])
        for path in api_only:
            article_id = stored[path].id
            assert article_id is not None
            assert store.raw_html(article_id) == ""  # came from the API, no page
    assert "http_404" in stats.error_kinds  # only the dead listing link, not the API-only paths
    assert stats.error_kinds["http_404"] == 1


def test_multi_page_article_is_one_article(crawled: Bulletin, sample_server: SampleServer) -> None:
    with crawled.store() as store:
        stored = stored_by_path(store, sample_server.base("chinadaily"))
    assert "/a/202503/10/WS67ce5b7aa310c240449d86f3.html" in stored
    assert not any(p.endswith("_2.html") for p in stored)


def test_video_article_is_dropped_as_empty(crawled: Bulletin) -> None:
    with crawled.store() as store:
        [stats] = store.run_stats(store.runs(1)[0]["id"])
    assert stats.dropped.get("empty") == 1
