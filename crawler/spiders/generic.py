"""Any site, configured without code: RSS/Atom feeds, sitemaps and listing pages with a link pattern.

Feeds are read by feedparser, main text comes from trafilatura and dates from htmldate,
unless the source gives CSS selectors (``selectors = {title = "h1", body = "div.story",
date = "time::attr(datetime)"}``). It is also the fallback for ad hoc URLs of unknown domains.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Self

from parsel import Selector
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from scrapy.utils.sitemap import Sitemap

from crawler.base import BulletinSpider
from crawler.parsing import (
    aware,
    clean_space,
    feed_items,
    page_lang,
    paragraphs,
    parse_stamp,
    xml_root,
)

# htmldate and trafilatura give a date only unless asked for the time; with this format
# a page's `2025-03-07T11:30:00+08:00` comes back whole, offset included.
FULL_TIME = "%Y-%m-%dT%H:%M:%S%z"
DATE_PARAMS: dict[str, Any] = {"original_date": True, "outputformat": FULL_TIME}


class GenericSpider(BulletinSpider):
    """Source keys: feeds, sitemaps, listings, link_pattern, selectors, domains, timezone.

    Without ``base_url`` or ``domains``, the source's domains are the hosts of its feeds,
    sitemaps and listings (``crawler.base.source_domains``).
    """

    name = "generic"
    keep_query = True  # unknown sites may select content by query string

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.listings_started = False
        crawler.signals.connect(spider.start_listings, signal=signals.spider_idle)
        return spider

    def discover(self) -> Iterable[Request]:
        for url in self.source.get("feeds", []):
            yield self.page_request(url, self.parse_page)
        for url in self.source.get("sitemaps", []):
            yield self.page_request(url, self.parse_page)
        if not (self.source.get("feeds") or self.source.get("sitemaps")):
            self.listings_started = True
            yield from self.listing_requests()

    def listing_requests(self) -> Iterable[Request]:
        for url in self.source.get("listings", []):
            yield self.page_request(url, self.parse_listing)

    def start_listings(self) -> None:
        """Read the listings once the feeds, sitemaps and their articles are done.

        A listing's links carry no time, a feed item's do; going second, a listing only
        adds the articles the feeds did not reach (the others are filtered as duplicate
        requests), so a page giving only the day gets the feed's full time every run.
        """
        # A shared crawl's worker requests nothing of its own: the seed reads these.
        if self.listings_started or self.url or self.worker:
            return
        self.listings_started = True
        requests = list(self.listing_requests())
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def adhoc(self, url: str) -> Iterable[Request]:
        # An unknown URL may be an article, a feed or a sitemap: fetch it and look.
        yield self.article_request(url, callback=self.parse_page)

    def is_article_url(self, url: str) -> bool:
        pattern = self.source.get("link_pattern")
        return bool(pattern and re.search(pattern, url))

    def parse_page(self, response: Response) -> Iterable[Any]:
        root = xml_root(response.body)
        if root in ("urlset", "sitemapindex"):
            return self.parse_sitemap(response)
        if root in ("rss", "feed", "rdf:rdf"):
            return self.parse_feed(response)
        return self.parse_article(response)

    # -- discovery ----------------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterable[Request]:
        self.check_xml(response)
        for url, published in feed_items(response):
            if self.keep(url, published):
                # The feed's time (with its offset) is kept for pages that give less.
                yield self.article_request(url, bulletin_feed_time=published)

    def parse_sitemap(self, response: Response) -> Iterable[Request]:
        self.check_xml(response)
        sitemap = Sitemap(response.body)
        pattern = self.source.get("link_pattern")
        for entry in sitemap:
            url = entry.get("loc", "")
            if sitemap.type == "sitemapindex":
                yield self.page_request(url, self.parse_sitemap)
            elif (not pattern or self.is_article_url(url)) and self.keep(
                url, parse_stamp(entry.get("lastmod"))
            ):
                yield self.article_request(url)

    def parse_listing(self, response: Response) -> Iterable[Request]:
        sel = Selector(text=self.page_text(response), base_url=response.url)
        for href in sel.css("a::attr(href)").getall():
            url = response.urljoin(href.strip())
            if self.is_article_url(url) and self.keep(url):
                yield self.article_request(url)

    # -- article ------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterable[Any]:
        html = self.page_text(response)
        url = response.meta.get("bulletin_url", response.url)
        selectors = self.source.get("selectors") or {}
        page_time: datetime | date | None = None
        if selectors.get("body"):
            sel = Selector(text=html, base_url=response.url)
            title = clean_space(sel.css(selectors.get("title", "h1")).xpath("string()").get())
            paras = [p for part in sel.css(selectors["body"]).getall() for p in paragraphs(part)]
            if selectors.get("date"):
                page_time = _selected_time(sel, selectors["date"])
            byline = (
                clean_space(sel.css(selectors["byline"]).xpath("string()").get())
                if selectors.get("byline")
                else None
            )
        else:
            # Imported here, not at the top: every crawl imports this module (the spider
            # loader reads them all), and trafilatura takes a quarter of a second to import.
            import trafilatura
            from trafilatura.settings import Document

            doc = trafilatura.bare_extraction(
                html,
                url=response.url,
                with_metadata=True,
                include_comments=False,
                date_extraction_params=DATE_PARAMS,
            )
            if not isinstance(doc, Document):  # None: nothing extracted (a dict only with as_dict)
                title, paras, byline = "", [], None
            else:
                title = doc.title or ""
                paras = [clean_space(p) for p in (doc.text or "").split("\n") if clean_space(p)]
                byline = doc.author
                page_time = _htmldate_time(doc.date)
        if page_time is not None and not self.plausible(page_time, "page"):
            page_time = None
        if page_time is None:
            import htmldate

            page_time = _htmldate_time(htmldate.find_date(html, url=response.url, **DATE_PARAMS))
            if page_time is not None and not self.plausible(page_time, "htmldate"):
                page_time = None
        feed_time = response.meta.get("bulletin_feed_time")
        if feed_time is not None and not self.plausible(feed_time, "feed"):
            feed_time = None
        published = aware(_best_time(page_time, feed_time), self.zone)
        lang = page_lang(Selector(text=html[:5000]))  # the <html> tag is at the top
        yield self.make_article(url, title, paras, published, raw_html=html, byline=byline or None, lang=lang)


def _selected_time(sel: Selector, css: str) -> datetime | date | None:
    """The date a ``selectors.date`` picks: an attribute's text, or an element (its datetime= or text)."""
    found = sel.css(css)
    if not found:
        return None
    first = found[0]
    if isinstance(first.root, str):  # ::attr(...) or ::text
        return parse_stamp(first.root)
    return parse_stamp(first.attrib.get("datetime")) or parse_stamp(first.xpath("string()").get())


def _htmldate_time(value: str | None) -> datetime | date | None:
    """htmldate's answer in FULL_TIME: midnight without an offset means it found only the day."""
    moment = parse_stamp(value)
    if isinstance(moment, datetime) and moment.tzinfo is None and moment.time() == datetime.min.time():
        return moment.date()
    return moment


def _best_time(page: datetime | date | None, feed: datetime | date | None) -> datetime | date | None:
    """The most precise time known: with an offset beats without, a time beats a bare day.

    The page wins a tie: feeds are sometimes stamped when the item was (re)published.
    """

    def rank(moment: datetime | date | None) -> int:
        if isinstance(moment, datetime):
            return 3 if moment.tzinfo is not None else 2
        return 1 if moment is not None else 0

    return page if rank(page) >= rank(feed) else feed
