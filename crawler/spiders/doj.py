"""US Justice Department (www.justice.gov): the press-release JSON API first, the RSS feed second.

The HTML site sits behind an Akamai bot challenge; the API and RSS answer plain HTTP.
Detail pages are fetched only for RSS items the API did not carry, and a challenge page
is dropped (crawler.middlewares.DetectChallengeMiddleware) and reported as blocked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from parsel import Selector
from scrapy.http import Request, Response

from crawler.base import BulletinSpider
from crawler.parsing import clean_space, feed_items, page_lang, paragraphs, parse_time

ARTICLE_PATH = re.compile(r"/(opa|usao-[a-z]+)/pr/[^/?#]+$")
DATE_FORMATS = ("%A, %B %d, %Y", "%B %d, %Y")
# API fields and page attributes may hold a whole element: <time datetime="2025-03-06T12:00:00Z">.
TIME_ATTR = re.compile(r"datetime\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
# Drupal writes a release's day as that day at 12:00 UTC: a day, not a time of day.
NOON_UTC = time(12, 0)
# The press release's end mark, centred under the text: not part of it.
END_MARK = re.compile(r"^(?:#\s*){3}$|^-\s*30\s*-$")
BACKFILL_MAX_PAGES = 100


class DojSpider(BulletinSpider):
    """Source keys: base_url, max_pages, page_size, rss, timezone."""

    name = "doj"
    site_since = date(1994, 1, 1)  # the Department's first web pages

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
            url = self.site_url(record.get("url") or "")
            published = None
            for key in ("date", "created"):
                moment = _api_time(record.get(key), self.zone)
                if moment is not None and self.plausible(moment, f"api_{key}"):
                    published = moment
                    break
            if published and (oldest is None or published < oldest):
                oldest = published
            if not (url and self.in_range(published)):
                continue
            paras = body_text(record.get("body") or "")
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
            url = self.site_url(url)
            if self.is_article_url(url) and self.keep(url, published):
                yield self.article_request(url)

    def site_url(self, url: str) -> str:
        """The release's URL on the site's own host: the API gives ``https://justice.gov/…``
        for some releases and ``https://www.justice.gov/…`` for others, one release either way."""
        parts = urlsplit(url)
        site = urlsplit(self.base_url)
        if parts.hostname and site.hostname and "www." + parts.hostname == site.hostname:
            return urlunsplit(parts._replace(netloc=site.netloc))
        return url

    def parse_article(self, response: Response) -> Iterable[Any]:
        """A release page: the 2023+ layout, or the older one (``h1#node-title``,
        ``.date-display-single``, ``div.field--name-field-pr-body``)."""
        html = self.page_text(response)
        sel = Selector(text=html, base_url=response.url)
        body = (
            sel.css("div.node-body .field_body")
            or sel.css("div.field--name-body")
            or sel.css("div.field--name-field-pr-body")
        )
        stamp = sel.css(".node-date time::attr(datetime), .date-display-single::attr(content)").get()
        shown = clean_space(sel.css(".node-date time, .date-display-single").xpath("string()").get())
        page_time = _iso(stamp, self.zone) or parse_time(shown, DATE_FORMATS, self.zone)
        url = response.meta.get("bulletin_url", response.url)
        components = [
            clean_space(c)
            for c in sel.css("div.node-component .field__item, .field--name-field-pr-component .field__item")
            .xpath("string()")
            .getall()
        ]
        paras = self.checked_body(sel, html, body_text(body.get() or ""), url)
        yield self.make_article(
            url,
            clean_space((sel.css("h1.page-title") or sel.css("h1#node-title")).xpath("string()").get()),
            paras,
            self.publication_time(sel, html, url, ("page", page_time)),
            raw_html=html,
            section="; ".join(c for c in components if c) or None,
            lang=page_lang(sel),
        )


def body_text(html: str) -> list[str]:
    """A release's paragraphs, without the centred ``###`` that ends it."""
    return [p for p in paragraphs(html) if not END_MARK.match(p)]


def _api_time(value: Any, zone: tzinfo) -> datetime | None:
    """An API time: Unix seconds (a string or a number), or an element or ISO string
    (``<time datetime="2025-03-06T12:00:00Z">…</time>``)."""
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        try:
            return _day_or_time(datetime.fromtimestamp(int(value), tz=UTC), zone)
        except (ValueError, OverflowError, OSError):
            return None
    if isinstance(value, str):
        found = TIME_ATTR.search(value)
        return _iso(found.group(1) if found else value, zone)
    return None


def _iso(value: str | None, zone: tzinfo) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    if moment is None:
        return None
    return _day_or_time(moment, zone) if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _day_or_time(moment: datetime, zone: tzinfo) -> datetime:
    """The moment in the source's zone; 12:00 UTC sharp is Drupal's way of writing a day,
    stored as that day (midnight in the zone), not as an invented 07:00 or 08:00."""
    utc = moment.astimezone(UTC)
    if utc.time() == NOON_UTC:
        return datetime.combine(utc.date(), time(0), tzinfo=zone)
    return moment.astimezone(zone)
