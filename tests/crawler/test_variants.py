"""Each markup variant of a site's article pages (expected.toml ``[[<site>.variant]]``) read right."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from bulletin.config import load_settings
from bulletin.records import Article
from crawler.base import URL_DATE
from crawler.spiders.chinadaily import ChinaDailySpider
from crawler.spiders.doj import DojSpider, _api_time
from crawler.spiders.globaltimes import GlobalTimesSpider, body_paragraphs, sentence_like
from tests.conftest import SITES, load_expected
from tests.crawler.oracle import mismatches
from tests.crawler.test_body_text import SPIDERS, parsed
from tests.crawler.test_parsing import page, spider_for

VARIANTS = [(site, entry) for site in SPIDERS for entry in load_expected()[site].get("variant", [])]


@pytest.mark.parametrize(("site", "entry"), VARIANTS, ids=[e["path"] for _, e in VARIANTS])
def test_variant_page_is_read_as_its_oracle_says(site: str, entry: dict[str, Any]) -> None:
    spider = spider_for(SPIDERS[site])
    article = parsed(spider, site, entry["path"])
    assert mismatches(article, entry) == []
    assert article.lang == entry.get("lang", "en")
    assert entry["markup"] in ("real", "guess")
    assert not spider.crawler.stats.get_value("bulletin/body_suspect")
    rejected = {
        k.removeprefix("bulletin/rejected_dates/"): v
        for k, v in spider.crawler.stats.get_stats().items()
        if k.startswith("bulletin/rejected_dates/")
    }
    assert rejected == entry.get("rejected_dates", {})


def test_a_sentence_beside_a_picture_is_never_a_caption() -> None:
    picture = "\ue000picture\ue000"
    lead = (
        "A court in the province on Wednesday handed a former official an 11-year prison sentence "
        "for selling secrets, the court said."
    )
    assert sentence_like(lead)
    # Right after a picture and before a credit line: still kept, it reads as a sentence.
    assert body_paragraphs([picture, lead, "Photo: VCG", "More."]) == [lead, "More."]
    # The short line there is a caption: a picture before it, its credit after it.
    assert body_paragraphs([picture, "Police outside a checkpoint", "Photo: VCG", lead]) == [lead]
    # A short line after a picture with no credit beside it is kept: nothing proves it a caption.
    assert body_paragraphs([picture, "Guo was paid 500 yuan.", lead]) == ["Guo was paid 500 yuan.", lead]
    # Ends with its credit: a caption, even with a full stop.
    assert body_paragraphs(["Visitors at the fair on Sunday. Photo: VCG", lead]) == [lead]


def test_text_inside_a_picture_is_kept_when_it_reads_as_a_sentence() -> None:
    """Unclosed markup can pull the lead inside the picture element: it must stay."""
    lead = (
        "A court in East China's Zhejiang Province on Wednesday handed a former technician surnamed "
        "Zhou an 11-year prison sentence for selling data, the court said."
    )
    html = (
        '<html><head><meta name="description" content="A court in East China"></head><body>'
        '<div class="article_title">Court jails technician</div><div class="article_right">'
        f'<div class="picture"><img src="x.jpg"><br>Photo: Xinhua<br><br>{lead}<br><br>'
        "The court also deprived him of political rights for three years, the statement said.</div>"
    )
    response = page("globaltimes", "/page/202503/1330711.shtml")
    response = response.replace(body=html.encode())
    article = next(iter(spider_for(SPIDERS["globaltimes"]).parse_article(response)))
    assert article.text.split("\n\n")[0] == lead
    assert "Photo:" not in article.text


def api_response(path: str) -> TextResponse:
    raw = (SITES / "doj" / path).read_bytes()
    url = "https://www.justice.gov/api/v1/press_releases.json?page=0"
    return TextResponse(url, body=raw, encoding="utf-8", request=Request(url))


def test_doj_api_record_with_bare_host_time_elements_noon_day_and_end_mark() -> None:
    """A real API record: url on justice.gov without www, created/changed as <time> elements,
    `date` at 12:00 UTC meaning a day, a body ending with the centred ###."""
    spider = spider_for(DojSpider)
    assert isinstance(spider, DojSpider)
    [article] = list(spider.parse_api(api_response("_api/press_releases_variants.json"), page=-1))
    assert isinstance(article, Article)
    assert article.url == (
        "https://www.justice.gov/opa/pr/former-shipyard-engineer-pleads-guilty-exporting-sonar-components"
    )
    assert article.published_at == datetime(2025, 3, 7, tzinfo=ZoneInfo("America/New_York"))
    assert not article.text.rstrip().endswith("###")
    assert article.text.endswith("Sentencing is scheduled for June 12.")


def test_doj_api_times_as_elements_strings_or_numbers() -> None:
    eastern = ZoneInfo("America/New_York")
    element = '<time datetime="2025-03-07T14:32:10-05:00">Fri, 03/07/2025 - 14:32</time>'
    assert _api_time(element, eastern) == datetime(2025, 3, 7, 14, 32, 10, tzinfo=eastern)
    assert _api_time("1741287900", eastern) == datetime(2025, 3, 6, 14, 5, tzinfo=eastern)
    assert _api_time(1741348800, eastern) == datetime(2025, 3, 7, tzinfo=eastern)  # noon UTC: a day
    assert _api_time("not a time", eastern) is None


def test_doj_release_on_the_bare_host_is_the_same_release() -> None:
    spider = spider_for(DojSpider)
    assert isinstance(spider, DojSpider)
    assert spider.site_url("https://justice.gov/opa/pr/x") == "https://www.justice.gov/opa/pr/x"
    assert spider.site_url("https://www.justice.gov/opa/pr/x") == "https://www.justice.gov/opa/pr/x"
    assert spider.site_url("https://fbi.gov/news/x") == "https://fbi.gov/news/x"


def test_globaltimes_content_urls_are_articles() -> None:
    spider = spider_for(GlobalTimesSpider)
    assert spider.is_article_url("https://www.globaltimes.cn/content/1172345.shtml")
    assert spider.is_article_url("https://www.globaltimes.cn/page/202503/1330012.shtml")
    assert not spider.is_article_url("https://www.globaltimes.cn/content/index.shtml")


def test_chinadaily_listing_times_filter_since_at_the_listing() -> None:
    """Listing dates are "YYYY-MM-DD HH:MM": --since turns old items away before any fetch."""
    settings = load_settings(env={})
    crawler = get_crawler(ChinaDailySpider, {"BULLETIN_SETTINGS": settings.to_dict()})
    spider = ChinaDailySpider.from_crawler(crawler, since="2025-03-12")
    raw = (SITES / "chinadaily" / "china/index.html").read_text("utf-8")
    url = "https://www.chinadaily.com.cn/china/index.html"
    response = HtmlResponse(
        url, body=raw.replace("{{host}}", "www.chinadaily.com.cn").encode(), encoding="utf-8"
    )
    urls = [r.url for r in spider.parse_listing(response, depth=1) if r.meta.get("bulletin_article")]
    assert urls, "the listing's articles were not read"
    assert all("/a/202503/1" in u and "/a/202503/10/" not in u and "/a/202503/11/" not in u for u in urls)
    # Two items before the 12th, each linked twice (its picture and its headline).
    assert crawler.stats.get_value("bulletin/dropped/out_of_range") == 4


def test_an_impossible_date_is_rejected_and_the_next_source_taken() -> None:
    spider = spider_for(ChinaDailySpider)
    beijing = ZoneInfo("Asia/Shanghai")
    future = datetime(2569, 5, 17, 20, 43, tzinfo=beijing)
    meta = '<meta property="article:published_time" content="2026-05-17T20:43:00+08:00">'
    html = f"<html><head>{meta}</head></html>"
    sel = Selector(text=html)
    when = spider.publication_time(
        sel, html, "https://www.chinadaily.com.cn/a/202605/17/WSx.html", ("page", future)
    )
    assert when == datetime(2026, 5, 17, 20, 43, tzinfo=timezone(timedelta(hours=8)))
    assert spider.crawler.stats.get_value("bulletin/rejected_dates/page") == 1
    assert not spider.plausible(datetime(1980, 1, 1, tzinfo=beijing), "page")  # before the site
    assert spider.crawler.stats.get_value("bulletin/rejected_dates/page") == 2
    assert spider.plausible(datetime.now(beijing), "page")


@pytest.mark.parametrize(
    ("path", "day"),
    [
        ("/a/202605/17/WS6a28f1c2a310c240449e1b77.html", (2026, 5, 17)),
        ("/news/2025-03-08/detail-x.shtml", (2025, 3, 8)),
        ("/20250308/0a1b/c.html", (2025, 3, 8)),
        ("/page/202503/1330600.shtml", None),  # a month and an id: no day
        ("/content/1172345.shtml", None),
    ],
)
def test_a_url_gives_a_day_only_where_it_has_one(path: str, day: tuple[int, int, int] | None) -> None:
    found = URL_DATE.search(path)
    assert (tuple(int(g) for g in found.groups()) if found else None) == day
