"""The Atom feed: valid Atom 1.0 structure, one entry per case, every link, scraped text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

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
    assert [e.findtext("a:id", namespaces=NS) for e in entries] == [
        f"tag:bulletin-watch,2026:story/{c.story_id}" for c in digest.cases
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
    assert first.findtext("a:updated", namespaces=NS) == "2026-11-26T09:30:00+08:00"
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
    assert "No new cases between 2026-11-26 and 2026-11-27" in feed.findtext("a:subtitle", namespaces=NS)
