"""The Atom feed: valid Atom 1.0 structure, one entry per case, every link, scraped text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser
import pytest
from bs4 import BeautifulSoup

from digest.render import render_digest
from tests.digest.conftest import SCRIPT

NS = {"a": "http://www.w3.org/2005/Atom"}


@pytest.fixture
def feed(digest):
    return ET.fromstring(render_digest(digest, "atom").encode("utf-8"))  # noqa: S314  (our own output)


def test_feed_metadata(feed):
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    assert (
        feed.findtext("a:id", namespaces=NS) == "tag:bulletin-watch,2026:digest/daily/2026-11-26/2026-11-27"
    )
    assert feed.findtext("a:title", namespaces=NS) == "Bulletin Watch daily digest: 2026-11-26"
    assert feed.findtext("a:updated", namespaces=NS) == "2026-11-27T07:00:00+08:00"
    assert feed.findtext("a:author/a:name", namespaces=NS) == "Bulletin Watch"


def test_one_entry_per_case(feed, digest):
    entries = feed.findall("a:entry", NS)
    # Tag URIs (RFC 4151) of each story's canonical URL: row ids change when the archive is rebuilt.
    assert [e.findtext("a:id", namespaces=NS) for e in entries] == [
        "tag:bulletin-watch,2026:https://www.globaltimes.cn/page/202611/1.shtml",
        "tag:bulletin-watch,2026:https://www.justice.gov/opa/pr/former-army-analyst-sentenced",
        "tag:bulletin-watch,2026:https://www.chinadaily.com.cn/a/202611/26/4.html",
        "tag:bulletin-watch,2026:https://www.taipeitimes.com/News/taiwan/archives/2026/11/26/5",
    ]
    for entry in entries:
        # Atom 1.0 requires id, title and updated on every entry, and content or an alternate link.
        for tag in ("a:id", "a:title", "a:updated", "a:content"):
            assert entry.find(tag, NS) is not None


def test_entry_links_and_summary(feed, digest):
    first = feed.find("a:entry", NS)
    links = [(link.get("rel"), link.get("href")) for link in first.findall("a:link", NS)]
    assert links == [
        ("alternate", digest.cases[0].links[0].url),
        ("related", digest.cases[0].links[1].url),
        ("related", digest.cases[0].links[2].url),
    ]
    summary = first.findtext("a:summary", namespaces=NS)
    assert summary.startswith("Subjects: Feng, Jiang. Penalties: Feng: 6 years in prison · political rights")
    assert "Jiang: 5 years 6 months in prison" in summary
    # updated: the story's last change in the archive (here 3 minutes after it arrived), not its publication.
    assert first.findtext("a:updated", namespaces=NS) == "2026-11-26T02:33:12+00:00"
    assert first.findtext("a:published", namespaces=NS) == "2026-11-26T09:30:00+08:00"
    terms = [c.get("term") for c in first.findall("a:category", NS)]
    assert terms == ["financial_inducement", "emotional_manipulation", "contract_packaging"]


def test_scraped_text_escaped(feed):
    hostile = feed.findall("a:entry", NS)[3]
    assert hostile.findtext("a:title", namespaces=NS).startswith(SCRIPT)
    assert [link.get("href") for link in hostile.findall("a:link", NS)] == [
        "https://www.taipeitimes.com/News/taiwan/archives/2026/11/26/5"
    ]
    content = BeautifulSoup(hostile.findtext("a:content", namespaces=NS), "lxml")
    assert content.find_all("script") == []
    assert SCRIPT in content.get_text()
    assert [a["href"] for a in content.find_all("a")] == [
        "https://www.taipeitimes.com/News/taiwan/archives/2026/11/26/5"
    ]


def test_empty_period(empty_digest):
    feed = ET.fromstring(render_digest(empty_digest, "atom").encode("utf-8"))  # noqa: S314
    assert feed.findall("a:entry", NS) == []
    assert "No new cases that reached the archive from 2026-11-26 07:00" in feed.findtext(
        "a:subtitle", default="", namespaces=NS
    )


def test_feedparser_reads_a_well_formed_atom_feed(digest):
    parsed = feedparser.parse(render_digest(digest, "atom"))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert [e.id for e in parsed.entries] == [
        "tag:bulletin-watch,2026:" + case.links[0].url for case in digest.cases
    ]
    assert all(e.updated_parsed for e in parsed.entries)
    assert parsed.entries[0].link == digest.cases[0].links[0].url
    # A dated file is an archive copy: it claims no rel=self.
    assert [link for link in parsed.feed.get("links", []) if link.rel == "self"] == []


def test_stable_feed_has_one_id_across_periods_and_links_itself(digest, empty_digest):
    url = "https://watch.example.org/digests/feed.atom"
    first = feedparser.parse(render_digest(digest, "atom", feed_url=url, stable=True))
    second = feedparser.parse(render_digest(empty_digest, "atom", feed_url=url, stable=True))
    assert not first.bozo
    assert not second.bozo
    assert first.feed.id == second.feed.id == "tag:bulletin-watch,2026:feed"
    assert [(link.rel, link.href) for link in first.feed.links] == [("self", url)]
    assert first.feed.title == "Bulletin Watch daily digest"


def test_tag_uri_of_an_unusual_url_is_still_a_uri():
    from digest.filters import tag_uri

    assert (
        tag_uri("tag:bulletin-watch,2026", "https://example.org/news/é a?q=1 2")
        == "tag:bulletin-watch,2026:https://example.org/news/%C3%A9%20a?q=1%202"
    )
