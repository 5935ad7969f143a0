"""The generic source kind: a feed and a listing configured without code, trafilatura for text."""

from __future__ import annotations

import re
import tomllib
from datetime import datetime
from typing import Any

import pytest

from bulletin.sample_server import SampleServer
from tests.conftest import REPO, Bulletin, make_bulletin
from tests.crawler.oracle import check, stored_by_path

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
        # The page's full time with its offset, not the day alone (nor midnight in a guessed zone).
        want = datetime.fromisoformat(entry["published"])
        assert article.published_at == want
        assert article.published_at.utcoffset() == want.utcoffset()
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


def readme_example() -> tuple[str, dict[str, Any]]:
    """The README's [sources.cps] table, as text and as parsed."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```toml\n(.*?)```", readme, re.S) if "[sources.cps]" in b)
    table = "[sources.cps]" + block.split("[sources.cps]", 1)[1]
    return table, tomllib.loads(table)["sources"]["cps"]


def test_the_readme_example_source_collects_its_articles(
    tmp_path: Any, sample_server: SampleServer, expected: dict[str, Any]
) -> None:
    table, parsed = readme_example()
    assert "base_url" not in parsed
    assert "domains" not in parsed  # the case that used to collect nothing, silently
    bulletin = make_bulletin(
        tmp_path, sample_server, table.replace("https://www.cps.gov.uk", sample_server.base("cps"))
    )
    proc = bulletin.run("crawl", "cps")
    with bulletin.store() as store:
        assert check(store, sample_server.base("cps"), expected["cps"]["article"]) == []
        stored = stored_by_path(store, sample_server.base("cps"))
        [stats] = store.run_stats(store.runs(1)[0]["id"])
    assert len(stored) == len(expected["cps"]["article"])
    for entry in expected["cps"]["article"]:
        assert stored[entry["path"]].relevant == entry["relevant"]
    assert stats.dropped == {"offsite": expected["cps"]["offsite_feed_items"]}  # counted, not lost
    assert stats.new == len(expected["cps"]["article"])
    assert "no articles found" not in proc.stderr


def test_a_source_that_yields_no_article_says_why(tmp_path: Any, sample_server: SampleServer) -> None:
    # The generic site's feed fetched under another host name than its items: every item
    # is off the domains inferred from the feed.
    port = sample_server.base("generic").rsplit(":", 1)[1]
    extra = f"""
[sources.elsewhere]
kind = "generic"
feeds = ["http://localhost:{port}/feed.xml"]

[sources.nomatch]
kind = "generic"
listings = ["{sample_server.base("cps")}/news"]
link_pattern = "/no-such-section/"
"""
    bulletin = make_bulletin(tmp_path, sample_server, extra)
    proc = bulletin.run("crawl", "elsewhere", "nomatch")
    warnings = [line for line in proc.stderr.splitlines() if "no articles found" in line]
    assert len(warnings) == 2
    assert "WARNING" in warnings[0]
    assert "elsewhere: no articles found (requested 2; dropped offsite 6); " in warnings[0]
    assert "set its domains" in warnings[0]
    assert "nomatch: no articles found" in warnings[1]
    assert "check its feeds, listings and link_pattern" in warnings[1]
    with bulletin.store() as store:
        rows = {s.source: s for s in store.run_stats(store.runs(1)[0]["id"])}
    assert rows["elsewhere"].dropped == {"offsite": 6}


def test_declared_domains_take_the_feeds_items(tmp_path: Any, sample_server: SampleServer) -> None:
    port = sample_server.base("generic").rsplit(":", 1)[1]
    extra = f"""
[sources.elsewhere]
kind = "generic"
feeds = ["http://localhost:{port}/feed.xml"]
domains = ["127.0.0.1"]
"""
    bulletin = make_bulletin(tmp_path, sample_server, extra)
    bulletin.run("crawl", "elsewhere")
    with bulletin.store() as store:
        assert store.count_articles() == 6
