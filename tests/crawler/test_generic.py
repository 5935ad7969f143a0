"""The generic source kind: a feed and a listing configured without code, trafilatura for text."""

from __future__ import annotations

from typing import Any

import pytest

from bulletin.sample_server import SampleServer
from tests.conftest import Bulletin, make_bulletin
from tests.crawler.oracle import stored_by_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory, sample_server: SampleServer) -> Bulletin:
    bulletin = make_bulletin(tmp_path_factory.mktemp("generic"), sample_server)
    bulletin.run("crawl", "prosecutors")
    return bulletin


def test_feed_and_listing_articles_are_stored(
    crawled: Bulletin, expected: dict[str, Any], sample_server: SampleServer
) -> None:
    with crawled.store() as store:
        stored = stored_by_path(store, sample_server.base("generic"))
    for entry in expected["generic"]["article"]:
        article = stored[entry["path"]]
        assert article.title == entry["title"]
        assert article.published_at is not None
        assert article.published_at.date().isoformat() == entry["published"][:10]
        assert " ".join(article.text.split()[:8]) == entry["first_words"]
        assert article.relevant == entry["relevant"]
        for needle in entry.get("not_contains", []):
            assert needle not in article.text


def test_css_selectors_from_config_replace_trafilatura(
    tmp_path: Any, sample_server: SampleServer, expected: dict[str, Any]
) -> None:
    extra = """
[sources.prosecutors-css]
kind = "generic"
base_url = "{base}"
listings = ["{base}/news/index.html"]
link_pattern = "/news/[a-z0-9-]+$"
selectors = {{ title = "article h1", body = "article p", date = "article time::attr(datetime)" }}
""".format(base=sample_server.base("generic"))
    bulletin = make_bulletin(tmp_path, sample_server, extra)
    bulletin.run("crawl", "prosecutors-css")
    with bulletin.store() as store:
        stored = stored_by_path(store, sample_server.base("generic"))
    listed = [e for e in expected["generic"]["article"] if any(v.startswith("listing") for v in e["via"])]
    assert listed
    for entry in listed:
        assert stored[entry["path"]].title == entry["title"]
        assert stored[entry["path"]].source == "prosecutors-css"
