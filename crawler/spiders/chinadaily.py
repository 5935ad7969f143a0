"""China Daily (www.chinadaily.com.cn): section pages and the JSON search API, which carries full text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Self
from urllib.parse import urlencode

from parsel import Selector
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response

from crawler.base import BulletinSpider
from crawler.parsing import clean_space, page_lang, paragraphs, parse_time

ARTICLE_PATH = re.compile(r"(/a/\d{6}/\d{2}/WS[0-9a-f]{24}(_\d+)?\.html|/content_\d+\.htm)$")
UPDATED = re.compile(r"Updated:\s*(\d{4}-\d{2}-\d{2}\s+\d{1,2}:\d{2})")
# The Chinese edition's (china./cn.chinadaily.com.cn) date line, div.xinf-le: "2025-03-15 10:02".
STAMP = re.compile(r"(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})")
# A listing's date, "2025-03-12 09:18" (a bare day is read too).
LISTING_DAY = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")
TIME_FORMATS = ("%Y-%m-%d %H:%M",)
BYLINE_PLACE = re.compile(r"\s+in\s+[A-Z][A-Za-z .'-]*$")
SEARCH_PAGE_SIZE = 20
# With --since the API is paged until it passes that day; this caps a runaway back-fill.
BACKFILL_MAX_PAGES = 100


class ChinaDailySpider(BulletinSpider):
    """Reads ``sections`` (following "next" links up to ``max_pages``) and the search API.

    Search API records that carry ``plainText`` become articles without fetching the
    page. Source keys: base_url, search_url, sections, search_terms, max_pages, timezone.
    """

    name = "chinadaily"
    site_since = date(1995, 12, 1)  # chinadaily.com.cn went online in December 1995
    search_started: bool

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.search_started = False
        crawler.signals.connect(spider.start_search, signal=signals.spider_idle)
        return spider

    def discover(self) -> Iterable[Request]:
        for section in self.source.get("sections", []):
            yield self.page_request(
                f"{self.base_url}/{section.lstrip('/')}", self.parse_listing, cb_kwargs={"depth": 1}
            )

    def start_search(self) -> None:
        """Read the search API once the section pages and their articles are done.

        The API's records carry text but no byline or section; going second, it only
        adds the articles the listings did not reach (those are skipped as stored).
        """
        # A shared crawl's worker requests nothing of its own: the seed reads these.
        if self.search_started or self.url or self.worker:
            return
        self.search_started = True
        terms = self.source.get("search_terms", [])
        for term in terms:
            self.crawler.engine.crawl(self.search_request(term, 0))
        if terms:
            raise DontCloseSpider

    def is_article_url(self, url: str) -> bool:
        return bool(ARTICLE_PATH.search(url.split("?", 1)[0]))

    def parse_page(self, response: Response) -> Iterable[Any]:
        if response.body.lstrip()[:1] == b"{":
            return self.parse_search(response, term="", page=0)
        return self.parse_listing(response, depth=1)

    # -- discovery ----------------------------------------------------------------------

    def parse_listing(self, response: Response, depth: int) -> Iterable[Request]:
        sel = Selector(text=self.page_text(response), base_url=response.url)
        dated = {}
        for item in sel.css("div.tw3_01_2"):
            day = _day(item.css("b::text").get())
            for href in item.css("a::attr(href)").getall():
                dated[response.urljoin(href.strip())] = day
        # Top stories outside the dated list carry no date: the article page decides.
        for href in sel.css("a::attr(href)").getall():
            url = response.urljoin(href.strip())
            if self.is_article_url(url) and self.keep(url, dated.get(url)):
                yield self.article_request(url)
        next_page = sel.css(".next > a::attr(href), a.next::attr(href)").get()
        if next_page and depth < self.source.get("max_pages", 5):
            yield self.page_request(
                response.urljoin(next_page), self.parse_listing, cb_kwargs={"depth": depth + 1}
            )

    def search_request(self, term: str, page: int) -> Request:
        search = self.source.get("search_url") or self.base_url
        params = {"query": term, "size": SEARCH_PAGE_SIZE, "sort": "dp", "page": page}
        return self.page_request(
            f"{search}/rest/en/search?{urlencode(params)}",
            self.parse_search,
            cb_kwargs={"term": term, "page": page},
        )

    def parse_search(self, response: Response, term: str, page: int) -> Iterable[Any]:
        try:
            data = json.loads(response.text)
            records = data.get("content") or []
        except (ValueError, AttributeError):
            self.count("errors/bad_json")
            return
        oldest = None
        for record in records:
            url = record.get("url") or ""
            if url.startswith("//"):
                url = "https:" + url
            published = _epoch_ms(record.get("publishTime"), self.zone)
            if published is not None and not self.plausible(published, "api"):
                published = None
            oldest = published if oldest is None or (published and published < oldest) else oldest
            if not (url and self.is_article_url(url) and self.in_range(published)):
                continue
            text = record.get("plainText") or ""
            if text.strip():
                yield self.make_article(
                    url,
                    record.get("title"),
                    [clean_space(p) for p in re.split(r"\n\s*\n|\r?\n", text) if clean_space(p)],
                    published,
                    byline=None,
                    section=record.get("source") or None,
                )
            else:
                yield self.article_request(url)
        limit = BACKFILL_MAX_PAGES if self.since else self.source.get("max_pages", 5)
        more = page + 1 < min(int(data.get("totalPages") or 0), limit)
        if term and records and more and not (self.since and oldest and oldest.date() < self.since):
            yield self.search_request(term, page + 1)

    # -- article ------------------------------------------------------------------------

    def parse_article(
        self,
        response: Response,
        done: list[str] | None = None,
        pending: list[str] | None = None,
        first: dict[str, Any] | None = None,
    ) -> Iterable[Any]:
        """Read one page; multi-page articles (``#div_currpage``) are fetched page by page."""
        html = self.page_text(response)
        sel = Selector(text=html, base_url=response.url)
        other_pages = [response.urljoin(h) for h in sel.css("#div_currpage a::attr(href)").getall()]
        content = sel.css("div#Content")
        for junk in content.css("figure, figcaption, #div_currpage, #div_page_roll1, script, style"):
            junk.drop()
        paras = [*(done or []), *paragraphs(content.get() or "")]
        if not done:  # the first page: its description is the lead's start
            paras = self.checked_body(sel, html, paras, response.meta.get("bulletin_url", response.url))
        if first is None:
            url = response.meta.get("bulletin_url", response.url)
            info = clean_space(sel.css(".info_l").xpath("string()").get())
            parts = [p.strip() for p in info.split("|")]
            byline = next((p[3:].strip() for p in parts if p.lower().startswith("by ")), None)
            if byline:
                byline = BYLINE_PLACE.sub("", byline)  # "CUI JIA in Urumqi" -> "CUI JIA"
            when = UPDATED.search(info)
            # The Chinese edition: h1.dabiaoti, the date in div.xinf-le, no <html lang>.
            stamp = STAMP.search(clean_space(sel.css("div.xinf-le").xpath("string()").get()))
            page_time = (
                parse_time(when.group(1), TIME_FORMATS, self.zone)
                if when
                else parse_time(f"{stamp.group(1)} {stamp.group(2)}", TIME_FORMATS, self.zone)
                if stamp
                else None
            )
            first = {
                "url": url,
                "title": clean_space(
                    sel.css("#lft-art h1").xpath("string()").get()
                    or sel.css(".ce_art h1").xpath("string()").get()
                    or sel.css("h1.dabiaoti").xpath("string()").get()
                    or sel.css("meta[property='og:title']::attr(content)").get()
                ),
                "published": self.publication_time(sel, html, url, ("page", page_time)),
                "byline": byline,
                "section": re.sub(
                    r"^Home\s*/\s*", "", clean_space(sel.css("#bread-nav").xpath("string()").get())
                )
                or None,
                "raw_html": html,
                "lang": page_lang(sel),
            }
            pending = [
                u
                for u in dict.fromkeys(other_pages)
                if u.split("?")[0] != response.url.split("?")[0] and self.is_article_url(u)
            ]
        if pending:
            yield Request(
                pending[0],
                callback=self.parse_article,
                errback=self.on_error,
                dont_filter=True,
                cb_kwargs={"done": paras, "pending": pending[1:], "first": first},
            )
            return
        yield self.make_article(
            first["url"],
            first["title"],
            paras,
            first["published"],
            raw_html=first["raw_html"],
            byline=first["byline"],
            section=first["section"],
            lang=first["lang"],
        )


def _day(text: str | None) -> date | None:
    """A listing's date, "2025-03-12 09:18" or "2025-03-12", as a day."""
    found = LISTING_DAY.match(text or "")
    try:
        return date.fromisoformat(found.group(1)) if found else None
    except ValueError:
        return None


def _epoch_ms(value: Any, zone: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=zone)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
