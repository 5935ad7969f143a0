"""Any site, configured without code: RSS/Atom feeds, sitemaps and listing pages with a link pattern.

Main text comes from trafilatura and dates from htmldate, unless the source gives CSS
selectors (``selectors = {title = "h1", body = "div.story", date = "time::attr(datetime)"}``).
It is also the fallback for ad hoc URLs of unknown domains.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import htmldate
import trafilatura
from parsel import Selector
from scrapy.http import Request, Response
from scrapy.utils.sitemap import Sitemap

from crawler.base import BulletinSpider
from crawler.parsing import clean_space, decode, page_lang, paragraphs


class GenericSpider(BulletinSpider):
    """Source keys: feeds, sitemaps, listings, link_pattern, selectors, domains, timezone."""

    name = "generic"
    keep_query = True  # unknown sites may select content by query string

    def discover(self) -> Iterable[Request]:
        for url in self.source.get("feeds", []):
            yield self.page_request(url, self.parse_page)
        for url in self.source.get("sitemaps", []):
            yield self.page_request(url, self.parse_page)
        for url in self.source.get("listings", []):
            yield self.page_request(url, self.parse_listing)

    def adhoc(self, url: str) -> Iterable[Request]:
        # An unknown URL may be an article, a feed or a sitemap: fetch it and look.
        yield self.article_request(url, callback=self.parse_page)

    def is_article_url(self, url: str) -> bool:
        pattern = self.source.get("link_pattern")
        return bool(pattern and re.search(pattern, url))

    def parse_page(self, response: Response) -> Iterable[Any]:
        head = response.body[:2048].lstrip().lower()
        if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
            return self.parse_feed(response)
        if b"<urlset" in head or b"<sitemapindex" in head:
            return self.parse_sitemap(response)
        return self.parse_article(response)

    # -- discovery ----------------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterable[Request]:
        sel = Selector(text=decode(response), type="xml")
        sel.remove_namespaces()
        for item in sel.xpath("//item | //entry"):
            url = clean_space(item.xpath("link/@href").get() or item.xpath("link/text()").get())
            stamp = item.xpath("pubDate/text() | published/text() | updated/text() | date/text()").get()
            if url and self.belongs(response.urljoin(url)) and self.wanted(_feed_date(stamp)):
                yield self.article_request(response.urljoin(url))

    def parse_sitemap(self, response: Response) -> Iterable[Request]:
        sitemap = Sitemap(response.body)
        for entry in sitemap:
            url = entry.get("loc", "")
            if sitemap.type == "sitemapindex":
                yield self.page_request(url, self.parse_sitemap)
            elif (
                self.belongs(url)
                and self.wanted(_feed_date(entry.get("lastmod")))
                and (not self.source.get("link_pattern") or self.is_article_url(url))
            ):
                yield self.article_request(url)

    def parse_listing(self, response: Response) -> Iterable[Request]:
        sel = Selector(text=decode(response), base_url=response.url)
        for href in sel.css("a::attr(href)").getall():
            url = response.urljoin(href.strip())
            if self.is_article_url(url) and self.belongs(url):
                yield self.article_request(url)

    # -- article ------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterable[Any]:
        html = decode(response)
        url = response.meta.get("bulletin_url", response.url)
        selectors = self.source.get("selectors") or {}
        if selectors.get("body"):
            sel = Selector(text=html, base_url=response.url)
            title = clean_space(sel.css(selectors.get("title", "h1")).xpath("string()").get())
            paras = [p for part in sel.css(selectors["body"]).getall() for p in paragraphs(part)]
            stamp = sel.css(selectors["date"]).get() if selectors.get("date") else None
            published = _feed_date(
                clean_space(Selector(text=stamp).xpath("string()").get()) if stamp else None
            )
            byline = (
                clean_space(sel.css(selectors["byline"]).xpath("string()").get())
                if selectors.get("byline")
                else None
            )
        else:
            doc = trafilatura.bare_extraction(
                html, url=response.url, with_metadata=True, include_comments=False
            )
            if doc is None:
                title, paras, byline, published = "", [], None, None
            else:
                title = doc.title or ""
                paras = [clean_space(p) for p in (doc.text or "").split("\n") if clean_space(p)]
                byline = doc.author
                published = _feed_date(doc.date)
        if published is None:
            published = _feed_date(htmldate.find_date(html, url=response.url, original_date=True))
        if isinstance(published, datetime) and published.tzinfo is None:
            published = published.replace(tzinfo=self.zone)
        lang = page_lang(Selector(text=html[:5000]))  # the <html> tag is at the top
        yield self.make_article(url, title, paras, published, raw_html=html, byline=byline or None, lang=lang)


def _feed_date(value: str | None) -> datetime | None:
    """RFC 822 (RSS), ISO 8601 (Atom, sitemaps) or a bare YYYY-MM-DD; naive when no zone is given."""
    if not value:
        return None
    value = value.strip()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        pass
    try:
        return datetime.combine(date.fromisoformat(value[:10]), datetime.min.time())
    except ValueError:
        return None
