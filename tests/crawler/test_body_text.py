"""No story text lost: every sentence a reader sees in a fixture article's story ends up in its body.

The oracle is the page itself: the text of the story's container (Global Times
``div.article_right``, China Daily ``div#Content``, DOJ ``.field_body``), minus what the
markup itself marks as a picture or caption, minus the bare-text captions each page's
entry in expected.toml lists under ``furniture``. Each sentence of what remains (five
words or more, ending with a full stop, question or exclamation mark) must be in the body.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse, Request

from bulletin.records import Article
from crawler.base import BulletinSpider
from crawler.spiders.chinadaily import ChinaDailySpider
from crawler.spiders.doj import DojSpider
from crawler.spiders.globaltimes import GlobalTimesSpider, body_paragraphs
from tests.conftest import SITES, load_expected
from tests.crawler.test_parsing import BASES, page, spider_for

SPIDERS: dict[str, type[BulletinSpider]] = {
    "globaltimes": GlobalTimesSpider,
    "chinadaily": ChinaDailySpider,
    "doj": DojSpider,
}
STORY = {
    "globaltimes": "div.article_right, div.row-content",
    "chinadaily": "div#Content",
    "doj": "div.node-body .field_body, div.field--name-body, div.field--name-field-pr-body",
}
# What the markup itself says is not story text.
MARKED = "div.picture, figure, figcaption, script, style, #div_currpage, #div_page_roll1, #playerFrame"
_LINE_BREAK = re.compile(r"<br\s*/?>|</?(?:p|div|h[1-6]|li|ul|ol|table|tr|blockquote|figure)\b[^>]*>", re.I)
_SENTENCE = re.compile(r"[^.!?]+[.!?][\"'\u201d\u2019)]?")


def pages() -> list[tuple[str, str, dict[str, Any]]]:
    """Every fixture article page of the three sites: oracle articles served as pages, and variants."""
    expected = load_expected()
    out = []
    for site in SPIDERS:
        for kind in ("article", "variant"):
            for entry in expected[site].get(kind, []):
                if entry.get("served", True) and (SITES / site / entry["path"].lstrip("/")).is_file():
                    out.append((site, entry["path"], entry))
    return out


def story_sentences(site: str, path: str, furniture: list[str]) -> list[str]:
    raw = (SITES / site / path.lstrip("/")).read_bytes()
    text = raw.decode("utf-8") if raw.isascii() or _utf8(raw) else raw.decode("gb18030")
    sel = Selector(text=text)
    story = sel.css(STORY[site])
    assert story, f"{path}: no story container"
    for marked in story.css(MARKED):
        marked.drop()
    lines = html.unescape(re.sub(r"<[^>]+>", "", _LINE_BREAK.sub("\n", story[0].get()))).split("\n")
    sentences = []
    for line in (" ".join(line.split()) for line in lines):
        if any(f in line for f in furniture):
            continue
        sentences += [s.strip() for s in _SENTENCE.findall(line) if len(s.split()) >= 5]
    return sentences


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def parsed(spider: BulletinSpider, site: str, path: str) -> Article:
    """The article the spider makes of the page, following a multi-page article's next pages."""
    results = list(spider.parse_article(page(site, path)))
    while results and isinstance(results[0], Request):
        request = results[0]
        next_path = request.url.split("/", 3)[3]  # the page's path, whatever host its link gave
        raw = (SITES / site / next_path).read_text("utf-8").replace("{{base}}", BASES[site])
        response = HtmlResponse(request.url, body=raw.encode(), encoding="utf-8", request=request)
        assert request.callback is not None
        results = list(request.callback(response, **request.cb_kwargs))
    [article] = results
    assert isinstance(article, Article)
    return article


@pytest.mark.parametrize(("site", "path", "entry"), pages(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_sentence_of_the_story_is_in_the_body(site: str, path: str, entry: dict[str, Any]) -> None:
    spider = spider_for(SPIDERS[site])
    article = parsed(spider, site, path)
    body = " ".join(article.text.split())
    missing = [s for s in story_sentences(site, path, entry.get("furniture", [])) if s not in body]
    assert not missing, f"{path}: lost {missing}"
    assert not spider.crawler.stats.get_value("bulletin/body_suspect")


def test_the_oracle_can_fail() -> None:
    """The sentence oracle sees a lead that a body lacks (it is not vacuous)."""
    sentences = story_sentences("globaltimes", "/page/202503/1330711.shtml", [])
    assert sentences[0].startswith("A court in East China's Zhejiang Province on Wednesday")
    assert len(sentences) >= 5


def test_a_body_without_the_page_description_is_suspect_and_trafilatura_text_taken() -> None:
    spider = spider_for(GlobalTimesSpider)
    response = page("globaltimes", "/page/202503/1330711.shtml")
    html_text = response.text
    sel = Selector(text=html_text)
    whole = parsed(spider_for(GlobalTimesSpider), "globaltimes", "/page/202503/1330711.shtml").text.split(
        "\n\n"
    )
    lost_lead = whole[1:]  # what the old caption rule left of it
    kept = spider.checked_body(sel, html_text, lost_lead, response.url, tidy=body_paragraphs)
    assert spider.crawler.stats.get_value("bulletin/body_suspect") == 1
    assert kept[0] == whole[0]  # trafilatura's reading holds the lead
    assert spider.checked_body(sel, html_text, whole, response.url) == whole
    assert spider.crawler.stats.get_value("bulletin/body_suspect") == 1


def test_a_description_written_apart_from_the_page_says_nothing_about_the_body() -> None:
    """The old fixture pages' descriptions are summaries no reader sees on the page."""
    spider = spider_for(GlobalTimesSpider)
    response = page("globaltimes", "/page/202503/1330178.shtml")
    sel = Selector(text=response.text)
    assert spider.checked_body(sel, response.text, ["Something else entirely."], response.url) == [
        "Something else entirely."
    ]
    assert not spider.crawler.stats.get_value("bulletin/body_suspect")
