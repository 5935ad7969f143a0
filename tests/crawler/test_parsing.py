"""Parse saved pages in-process: each spider's article parser on its fixture pages, and the middlewares."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from bulletin.config import load_settings
from bulletin.records import Article
from crawler.base import BulletinSpider
from crawler.middlewares import DetectChallengeMiddleware
from crawler.parsing import paragraphs
from crawler.spiders.chinadaily import ChinaDailySpider
from crawler.spiders.doj import DojSpider
from crawler.spiders.globaltimes import GlobalTimesSpider
from tests.conftest import SITES

BEIJING = timezone(timedelta(hours=8))
BASES = {
    "globaltimes": "https://www.globaltimes.cn",
    "chinadaily": "https://www.chinadaily.com.cn",
    "doj": "https://www.justice.gov",
}


def spider_for(cls: type[BulletinSpider]) -> BulletinSpider:
    settings = load_settings(env={})
    crawler = get_crawler(cls, {"BULLETIN_SETTINGS": settings.to_dict()})
    return cls.from_crawler(crawler)


def page(site: str, path: str, content_type: str = "text/html; charset=utf-8") -> HtmlResponse:
    raw = (SITES / site / path.lstrip("/")).read_bytes()
    with contextlib.suppress(UnicodeDecodeError):  # the GBK page is used byte for byte
        raw = raw.decode("utf-8").replace("{{base}}", BASES[site]).encode("utf-8")
    url = BASES[site] + path
    return HtmlResponse(
        url,
        body=raw,
        headers={"Content-Type": content_type},
        request=Request(url, meta={"bulletin_url": url}),
    )


def parse(spider: BulletinSpider, response: HtmlResponse) -> Article:
    [article] = list(spider.parse_article(response))
    assert isinstance(article, Article)
    return article


def entry(expected: dict[str, Any], site: str, path: str) -> dict[str, Any]:
    return next(e for e in expected[site]["article"] if e["path"] == path)


def test_globaltimes_article(expected: dict[str, Any]) -> None:
    path = "/page/202503/1330045.shtml"
    article = parse(spider_for(GlobalTimesSpider), page("globaltimes", path))
    want = entry(expected, "globaltimes", path)
    assert article.title == want["title"]
    assert article.published_at == datetime(2025, 3, 9, 10, 37, tzinfo=BEIJING)  # Published, not Updated
    assert article.byline == "Liu Xin"
    assert article.section == want["section"]
    assert " ".join(article.text.split()[:8]) == want["first_words"]
    assert " ".join(article.text.split()[-8:]) == want["last_words"]
    for noise in ("Photo:", "Newspaper headline:"):
        assert noise not in article.text


def test_globaltimes_page_in_gbk_declared_utf8_is_decoded(expected: dict[str, Any]) -> None:
    path = "/page/202503/1330501.shtml"
    article = parse(spider_for(GlobalTimesSpider), page("globaltimes", path))
    want = entry(expected, "globaltimes", path)
    assert article.title == want["title"]
    assert "\ufffd" not in article.text
    assert (
        want["contains"] in article.text
        if isinstance(want["contains"], str)
        else all(c in article.text for c in want["contains"])
    )


def test_chinadaily_article_byline_and_time(expected: dict[str, Any]) -> None:
    want = next(
        e
        for e in expected["chinadaily"]["article"]
        if e.get("served", True) and "byline" in e and "_2" not in e["path"]
    )
    article = parse(spider_for(ChinaDailySpider), page("chinadaily", want["path"]))
    assert article.title == want["title"]
    assert article.byline == want["byline"]
    assert article.published_at == datetime.fromisoformat(want["published"])


def test_doj_detail_page(expected: dict[str, Any]) -> None:
    spider = spider_for(DojSpider)
    want = next(e for e in expected["doj"]["article"] if (SITES / "doj" / e["path"].lstrip("/")).is_file())
    article = parse(spider, page("doj", want["path"]))
    assert article.title == want["title"]
    assert article.published_at is not None
    assert article.published_at.date().isoformat() == want["published"][:10]
    assert " ".join(article.text.split()[:8]) == want["first_words"]


def test_paragraphs_split_on_double_br_and_blocks() -> None:
    html = "<div>First line<br>same para<br /><br />Second<p>Third &amp; last</p><script>x()</script></div>"
    assert paragraphs(html) == ["First line same para", "Second", "Third & last"]


def test_challenge_page_is_dropped_and_counted() -> None:
    crawler = get_crawler(GlobalTimesSpider)
    challenge = (SITES / "doj" / "_akamai" / "challenge.html").read_bytes()
    middleware = DetectChallengeMiddleware(crawler)
    request = Request("https://www.justice.gov/opa/pr/x")
    with pytest.raises(IgnoreRequest):
        middleware.process_response(request, TextResponse(request.url, body=challenge))
    assert crawler.stats.get_value("bulletin/dropped/challenge") == 1
    ordinary = TextResponse(request.url, body=b"<html><body>" + b"story " * 5000 + b"</body></html>")
    assert middleware.process_response(request, ordinary) is ordinary


def test_spiders_take_their_base_url_from_config(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[sources.globaltimes]\nbase_url = "http://127.0.0.1:8999"\n', encoding="utf-8")
    settings = load_settings(config, env={})
    spider = GlobalTimesSpider.from_crawler(
        get_crawler(GlobalTimesSpider, {"BULLETIN_SETTINGS": settings.to_dict()})
    )
    [first, *_] = list(spider.discover())
    assert first.url.startswith("http://127.0.0.1:8999/")
    assert "127.0.0.1" in spider.allowed_domains


def test_gbk_body_without_a_text_response_is_decoded_too() -> None:
    # A plain Response (no declared text type): w3lib decodes it, and the GBK rule still applies.
    from scrapy.http import Response

    from crawler.parsing import decode

    body = "<html><head><meta charset='utf-8'></head><body><p>国家安全机关 espionage</p></body></html>"
    response = Response("http://127.0.0.1:1/x", body=body.encode("gbk"))
    assert "国家安全机关" in decode(response)
    assert decode(Response("http://127.0.0.1:1/y", body=body.encode("utf-8"))) == body


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2025-03-07T11:30:00+08:00", datetime(2025, 3, 7, 11, 30, tzinfo=BEIJING)),
        ("2025-03-07T03:30:00Z", datetime(2025, 3, 7, 3, 30, tzinfo=UTC)),
        ("Fri, 07 Mar 2025 11:30:00 +0800", datetime(2025, 3, 7, 11, 30, tzinfo=BEIJING)),
        ("2025-03-07T11:30:00", datetime(2025, 3, 7, 11, 30)),  # naive: the source's zone decides
        ("2025-03-07", date(2025, 3, 7)),  # a day is not midnight
        ("7 March 2025", None),
        ("", None),
    ],
)
def test_parse_stamp_keeps_the_offset_it_is_given(text: str, want: datetime | date | None) -> None:
    from crawler.parsing import parse_stamp

    got = parse_stamp(text)
    assert got == want
    assert type(got) is type(want)
    if isinstance(want, datetime):
        assert isinstance(got, datetime)
        assert got.utcoffset() == want.utcoffset()


RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>a</title><link>/news/a</link><pubDate>Thu, 12 Jun 2025 14:05:00 +0100</pubDate></item>
<item><title>b</title><link>https://other.example/b</link><pubDate>12 Jun 2025 14:05 EDT</pubDate></item>
<item><title>no link</title></item>
</channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title>a</title><link rel="alternate" href="https://site.example/news/a"/><id>x</id>
<updated>2025-03-07T11:30:00+08:00</updated></entry></feed>"""


def test_feed_items_read_by_feedparser_keep_links_and_offsets() -> None:
    from crawler.parsing import feed_items

    rss = TextResponse(
        "https://site.example/feed.xml", body=RSS, headers={"Content-Type": "application/rss+xml"}
    )
    assert list(feed_items(rss)) == [
        ("https://site.example/news/a", datetime(2025, 6, 12, 14, 5, tzinfo=timezone(timedelta(hours=1)))),
        ("https://other.example/b", datetime(2025, 6, 12, 14, 5, tzinfo=timezone(timedelta(hours=-4)))),
    ]
    atom = TextResponse("https://site.example/atom.xml", body=ATOM)
    [(url, when)] = list(feed_items(atom))
    assert url == "https://site.example/news/a"
    assert when == datetime(2025, 3, 7, 11, 30, tzinfo=BEIJING)
    assert isinstance(when, datetime)
    assert when.utcoffset() == timedelta(hours=8)


def test_generic_page_giving_the_day_only_takes_the_feeds_time(tmp_path: Path) -> None:
    from crawler.spiders.generic import GenericSpider

    config = tmp_path / "c.toml"
    config.write_text(
        '[sources.cps]\nkind = "generic"\nfeeds = ["http://127.0.0.1:1/feed.xml"]\n'
        'timezone = "Europe/London"\n'
        'selectors = { title = "h1", body = "main article p", date = "time::attr(datetime)" }\n',
        encoding="utf-8",
    )
    settings = load_settings(config, env={})
    crawler = get_crawler(GenericSpider, {"BULLETIN_SETTINGS": settings.to_dict()})
    spider = GenericSpider.from_crawler(crawler, source="cps")
    path = SITES / "cps" / "cps" / "news" / "restaurant-owner-fined-hygiene-breaches"
    url = "http://127.0.0.1:1/cps/news/restaurant-owner-fined-hygiene-breaches"
    feed_time = datetime(2025, 6, 11, 9, 30, tzinfo=timezone(timedelta(hours=1)))

    def parsed(meta: dict[str, Any]) -> Article:
        response = HtmlResponse(url, body=path.read_bytes(), request=Request(url, meta=meta))
        [article] = list(spider.parse_article(response))
        assert isinstance(article, Article)
        return article

    assert parsed({"bulletin_feed_time": feed_time}).published_at == feed_time
    # Without a feed, the day in the site's zone: midnight London time, not UTC.
    alone = parsed({}).published_at
    assert alone == datetime(2025, 6, 11, tzinfo=ZoneInfo("Europe/London"))


@pytest.mark.parametrize(
    ("contact", "blocked"), [("bulletin-watch@example.org", True), ("me@desk.co.uk", False)]
)
def test_no_request_reaches_a_real_host_under_the_placeholder_contact(contact: str, blocked: bool) -> None:
    """The per-request guard: a back-fill search host or a redirect elsewhere, not only the start URLs."""
    from crawler.middlewares import RequireContactMiddleware

    settings = load_settings(env={"BULLETIN_CRAWL_CONTACT": contact})
    crawler = get_crawler(GlobalTimesSpider, {"BULLETIN_SETTINGS": settings.to_dict()})
    crawler.spider = GlobalTimesSpider.from_crawler(crawler)
    middleware = RequireContactMiddleware(crawler)
    middleware.process_request(Request("http://127.0.0.1:8123/china/"))  # loopback: no IgnoreRequest
    real = Request("https://search.globaltimes.cn/SearchCtrl?tempkey=spy")
    if blocked:
        with pytest.raises(IgnoreRequest):
            middleware.process_request(real)
        assert crawler.stats.get_value("bulletin/errors/placeholder_contact") == 1
    else:
        middleware.process_request(real)  # a real contact: no IgnoreRequest
        assert crawler.stats.get_value("bulletin/errors/placeholder_contact") is None


def test_globaltimes_old_layout_article_is_read() -> None:
    """The pre-2020 layout (sources.md 1.4): one ``div.span9.text-muted`` line holds byline,
    source and time; it was not stored (no ``div.article_title``) and so requested on every crawl."""
    article = parse(spider_for(GlobalTimesSpider), page("globaltimes", "/page/201908/1162795.shtml"))
    assert article.title == (
        "Tour guide surnamed Ma detained for photographing military facility for overseas contact"
    )
    assert article.published_at == datetime(2019, 8, 28, 13, 42, 26, tzinfo=BEIJING)
    assert article.byline == "Zhang Hui"
    assert article.section == "CHINA / SOCIETY"
    assert article.text.startswith("A tour guide surnamed Ma was detained")
    assert article.text.endswith("the national security hotline 12339.")
    assert "Photo:" not in article.text
    assert "border checkpoint" not in article.text  # the bare caption beside the picture


def test_globaltimes_bare_caption_beside_a_picture_is_not_body_text(expected: dict[str, Any]) -> None:
    for path in ("/page/202503/1330178.shtml", "/page/202503/1330299.shtml"):
        article = parse(spider_for(GlobalTimesSpider), page("globaltimes", path))
        want = entry(expected, "globaltimes", path)
        assert " ".join(article.text.split()[:8]) == want["first_words"]
        for noise in want["not_contains"]:
            assert noise not in article.text


def test_a_page_declared_gbk_whose_bytes_are_utf8_is_read_as_utf8() -> None:
    """ "China鈥檚 state security" was stored: GB18030 decodes UTF-8 bytes without an error."""
    spider = spider_for(GlobalTimesSpider)
    response = page("globaltimes", "/page/202503/1330650.shtml", content_type="text/html; charset=gbk")
    body = response.body.replace(b"surnamed Tang", "surnamed Tang \u2019s \u00a5".encode())
    article = parse(spider, response.replace(body=body))
    assert "surnamed Tang \u2019s \u00a5" in article.text
    assert spider.crawler.stats.get_value("bulletin/redecoded/utf-8") == 1
