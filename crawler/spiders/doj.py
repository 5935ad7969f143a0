"""US Justice Department (www.justice.gov): the press-release JSON API first, the RSS feed second.

The HTML site sits behind an Akamai bot challenge; the API and RSS answer plain HTTP.
Detail pages are fetched only for RSS items the API did not carry, and a challenge page
is dropped (crawler.middlewares.DetectChallengeMiddleware) and reported as blocked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from parsel import Selector
from scrapy.http import Request, Response

from crawler.base import BulletinSpider
from crawler.parsing import clean_space, feed_items, page_lang, paragraphs, parse_time

ARTICLE_PATH = re.compile(r"/(opa|usao-[a-z]+)/pr/[^/?#]+$")
DATE_FORMATS = ("%A, %B %d, %Y", "%B %d, %Y")
BACKFILL_MAX_PAGES = 100


class DojSpider(BulletinSpider):
    """Source keys: base_url, max_pages, page_size, rss, timezone."""

    name = "doj"

    def discover(self) -> Iterable[Request]:
        yield self.api_request(0)
        if self.source.get("rss", True):
            yield self.page_request(f"{self.base_url}/news/rss", self.parse_rss)

    def is_article_url(self, url: str) -> bool:
        return bool(ARTICLE_PATH.search(url.split("?", 1)[0].removesuffix("/alias")))

    def parse_page(self, response: Response) -> Iterable[Any]:
        if response.body.lstrip()[:1] == b"{":
            return self.parse_api(response, page=-1)
        return self.parse_rss(response)

    # -- API ----------------------------------------------------------------------------

    def api_request(self, page: int) -> Request:
        params = {
            "pagesize": self.source.get("page_size", 50),
            "page": page,
            "sort": "date",
            "direction": "DESC",
        }
        return self.page_request(
            f"{self.base_url}/api/v1/press_releases.json?{urlencode(params)}",
            self.parse_api,
            cb_kwargs={"page": page},
            headers={"Accept": "application/json"},
        )

    def parse_api(self, response: Response, page: int) -> Iterable[Any]:
        try:
            results = json.loads(response.text).get("results") or []
        except (ValueError, AttributeError):
            self.count("errors/bad_json")
            return
        oldest = None
        for record in results:
            url = record.get("url") or ""
            published = _epoch(record.get("date") or record.get("created"), self.zone)
            if published and (oldest is None or published < oldest):
                oldest = published
            if not (url and self.in_range(published)):
                continue
            paras = paragraphs(record.get("body") or "")
            if not paras:
                yield self.article_request(url)
                continue
            components = [c.get("name", "") for c in record.get("component") or [] if isinstance(c, dict)]
            yield self.make_article(
                url,
                record.get("title"),
                paras,
                published,
                section="; ".join(c for c in components if c) or None,
            )
        limit = BACKFILL_MAX_PAGES if self.since else self.source.get("max_pages", 2)
        past_since = self.since and oldest and oldest.date() < self.since
        if page >= 0 and results and page + 1 < limit and not past_since:
            yield self.api_request(page + 1)

    # -- RSS and detail pages -----------------------------------------------------------

    def parse_rss(self, response: Response) -> Iterable[Request]:
        self.check_xml(response)
        for url, published in feed_items(response):
            if self.is_article_url(url) and self.keep(url, published):
                yield self.article_request(url)

    def parse_article(self, response: Response) -> Iterable[Any]:
        html = self.page_text(response)
        sel = Selector(text=html, base_url=response.url)
        body = sel.css("div.node-body .field_body") or sel.css("div.field--name-body")
        stamp = sel.css(".node-date time::attr(datetime)").get()
        published = _iso(stamp) or parse_time(
            clean_space(sel.css(".node-date time").xpath("string()").get()), DATE_FORMATS, self.zone
        )
        components = [
            clean_space(c) for c in sel.css("div.node-component .field__item").xpath("string()").getall()
        ]
        yield self.make_article(
            response.meta.get("bulletin_url", response.url),
            clean_space(sel.css("h1.page-title").xpath("string()").get()),
            paragraphs(body.get() or ""),
            published,
            raw_html=html,
            section="; ".join(c for c in components if c) or None,
            lang=page_lang(sel),
        )


def _epoch(value: Any, zone: Any) -> datetime | None:
    """The API gives Unix seconds as strings."""
    try:
        return datetime.fromtimestamp(int(value), tz=UTC).astimezone(zone)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _iso(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
