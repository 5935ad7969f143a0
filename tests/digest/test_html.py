"""The HTML digest read with BeautifulSoup: sections, one entry per story, exact words, nothing unsafe."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup, Tag

from digest.render import render_digest
from tests.digest.conftest import SCRIPT


@pytest.fixture
def soup(digest):
    return BeautifulSoup(render_digest(digest, "html"), "lxml")


def text(node: Tag | None) -> str:
    assert node is not None, "no such element"
    return " ".join(node.get_text(" ", strip=True).split())


def test_sections_present(soup):
    headings = [text(h) for h in soup.find_all("h2")]
    assert headings == [
        "In this digest",
        "New cases",
        "Sentences handed down",
        "Tactics this period",
        "Organizations and places mentioned",
    ]
    assert text(soup.find("h1")) == "Bulletin Watch daily digest: 2026-11-26"


def test_header_counts(soup):
    stats = [text(td) for td in soup.select("td.stat")]
    assert stats == ["4 new cases", "2 previous period", "7 people sentenced", "6 outlets", "1 reviewed"]


def test_failed_sources_named_near_the_top(soup):
    alert = soup.find(id="failed-sources")
    assert text(alert) == "Source that failed this period: prosecutors. Cases from it may be missing."
    assert alert.find_next("h2").get_text() == "New cases"


def test_one_entry_per_story_with_every_link(soup, digest):
    entries = soup.select("div.case")
    assert [e["id"] for e in entries] == [f"case-{c.story_id}" for c in digest.cases]
    first = entries[0]
    hrefs = [a["href"] for a in first.find_all("a", href=re.compile("^http"))]
    assert hrefs == [link.url for link in digest.cases[0].links]
    assert [a.get_text() for a in first.find_all("a", href=re.compile("^http"))] == [
        "globaltimes",
        "chinadaily",
        "xinhua",
    ]


def test_penalty_words_per_person(soup):
    lines = {e["id"]: [text(li) for li in e.select("ul.penalties li")] for e in soup.select("div.case")}
    assert lines == {
        "case-101": [
            "Feng: 6 years in prison · political rights 2 years · assets ¥500,000 ($68,607) confiscated",
            "Jiang: 5 years 6 months in prison · political rights 2 years · assets ¥500,000 confiscated",
        ],
        "case-202": [
            "John Doe: 4 years in prison · supervised release 3 years · fine $10,000 · forfeiture $42,500.50"
        ],
        "case-303": [
            "Wang: death sentence (2-year reprieve) · political rights for life · assets confiscated",
            "Li: life in prison · political rights for life",
            "Zhao: death sentence",
        ],
        "case-404": ["Huang <b>Wei</b>: time served · probation 2 years · fine NT$1,000,000 ($31,000)"],
    }


def test_sentences_table(soup):
    rows = soup.select("table.sentences tr")[1:]
    cells = [[text(td) for td in row.find_all("td")] for row in rows]
    assert [c[0] for c in cells] == ["Feng", "Jiang", "John Doe", "Wang", "Li", "Zhao", "Huang <b>Wei</b>"]
    assert (
        cells[2][1]
        == "2 . Former Army intelligence analyst sentenced for selling national defense information"
    )
    assert cells[3][2] == "death sentence (2-year reprieve) · political rights for life · assets confiscated"
    assert rows[0].find("a")["href"] == "#case-101"


def test_tactics_plain_words_with_evidence_on_hover_and_in_notes(soup):
    case = soup.find(id="case-101")
    tactics = case.select("span.tactic")
    assert [t.get_text() for t in tactics] == [
        "financial inducement",
        "emotional manipulation",
        "business-contract cover",
    ]
    assert tactics[0]["title"] == 'offered him a high "consulting fee" … paid tens of thousands of yuan'
    assert (
        text(case.find(id="note-2")) == "emotional manipulation: “showed affection and cared about his life”"
    )


def test_reviewed_mark_only_on_reviewed_cases(soup):
    marked = [e["id"] for e in soup.select("div.case") if e.select_one(".reviewed")]
    assert marked == ["case-101"]


def test_dates_in_the_cases_own_time(soup):
    assert "published 2026-11-25 14:05 (UTC-05:00)" in text(soup.find(id="case-202"))
    assert "published 2026-11-26 09:30 (UTC+08:00)" in text(soup.find(id="case-101"))


def test_date_only_publication_shows_no_zone(soup):
    """A page that gave only a date is stored at midnight: no "(UTC+08:00)" nobody stated."""
    assert text(soup.select_one("#case-303 .published")) == "published 2026-11-26"


def test_arrival_window_and_arrival_of_each_case(soup):
    assert text(soup.find(id="selection")).startswith(
        "Cases that reached the archive from 2026-11-26 07:00 to 2026-11-27 07:02 (UTC+08:00) · generated"
    )
    assert text(soup.select_one("#case-202 .archived")) == "archived 2026-11-26 08:00 (UTC+08:00)"


def test_tactic_chart_is_inline_svg_with_both_periods(soup):
    svg = soup.find("svg")
    assert svg is not None
    assert svg.find_parent("img") is None
    rows = {g["data-label"]: text(g) for g in svg.find_all("g")}
    assert rows["online_approach"] == "online approach 1 (was 2, -1)"
    assert rows["false_identity"] == "false identity 0 (was 1, -1)"
    assert rows["emotional_manipulation"] == "emotional manipulation 1 (was 0, +1)"
    assert not svg.find_all(["script", "style", "foreignobject", "image", "use"])
    counts = [[text(td) for td in tr.find_all("td")] for tr in soup.select("table.tactic-counts tr")[1:]]
    assert ["financial inducement", "1", "1", "±0"] in counts


def test_entity_index_points_to_cases(soup):
    rows = {
        text(tr.find("td")): [a["href"] for a in tr.find_all("a")] for tr in soup.select("table.index tr")
    }
    assert rows["Ministry of State Security"] == ["#case-101", "#case-303"]
    assert rows["Chinese"] == ["#case-202"]
    assert rows["<img src=x onerror=alert(4)>"] == ["#case-404"]


def test_scraped_markup_comes_out_as_text(digest):
    html = render_digest(digest, "html")
    soup = BeautifulSoup(html, "lxml")
    assert soup.find_all("script") == []
    assert soup.find_all("img") == []
    assert [b for b in soup.find_all("b") if b.get_text() == "Wei"] == []
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    case = soup.find(id="case-404")
    assert case is not None
    assert text(case.find("h3")).startswith(f"4. {SCRIPT} Taiwan")
    tactic = case.select_one("span.tactic")
    assert tactic is not None
    assert SCRIPT in tactic["title"]


def test_only_http_urls_become_links(soup):
    hrefs = [a["href"] for a in soup.find_all("a")]
    assert all(h.startswith(("https://", "http://", "#")) for h in hrefs)
    mirror = text(soup.find(id="case-404").find("p", class_="muted"))
    assert "mirror (javascript:alert(3))" in mirror


def test_no_external_resources(digest):
    html = render_digest(digest, "html")
    soup = BeautifulSoup(html, "lxml")
    assert soup.find_all(["script", "iframe", "object", "embed", "video", "audio", "source", "img"]) == []
    assert soup.find_all("link") == []
    assert not [t for t in soup.find_all(src=True)]
    assert not re.search(r"url\(|@import", html)
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert csp is not None
    content = csp["content"]
    assert isinstance(content, str)
    assert content.startswith("default-src 'none'")


def test_empty_period_says_so(empty_digest):
    soup = BeautifulSoup(render_digest(empty_digest, "html"), "lxml")
    assert text(soup.select_one("p.empty")) == (
        "No new cases that reached the archive from 2026-11-26 07:00 to 2026-11-27 07:02 (UTC+08:00)."
    )
    assert soup.select("div.case") == []
    assert soup.find(id="failed-sources") is None
