"""BulletinSpider: what every source spider shares (config, requests, error counting, records)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, ClassVar, Self

import scrapy
from parsel import Selector
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    CloseSpider,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.defer import CancelledError
from twisted.internet.error import (
    ConnectError,
    ConnectionLost,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from bulletin.config import Settings, SourceConfig, load_settings
from bulletin.errors import ConfigError
from bulletin.records import Article
from bulletin.urls import canonical_url, host_matches, host_of, site_domain
from crawler.parsing import (
    aware,
    decoding,
    holds_description,
    hostile_xml,
    page_description,
    parse_stamp,
    visible_text,
    zone,
)

logger = logging.getLogger(__name__)

# A publication time later than this past now is a misread (a Buddhist-era year, a typo).
FUTURE_SLACK = timedelta(days=1)
# Meta tags that carry a page's publication time, most specific first.
DATE_METAS = (
    "meta[property='article:published_time']::attr(content)",
    "meta[name='article:published_time']::attr(content)",
    "meta[property='og:article:published_time']::attr(content)",
    "meta[name='publishdate']::attr(content)",
    "meta[name='PubDate']::attr(content)",
    "meta[name='pubdate']::attr(content)",
    "meta[itemprop='datePublished']::attr(content)",
)
# A date in an article URL: /2025-03-08/, /202503/08/, /20250308/, the day ending a path
# segment (Global Times' /page/202503/1330600.shtml has a month and an id, no day).
URL_DATE = re.compile(r"/(\d{4})-?(\d{2})[-/]?(\d{2})(?=[/_.-])")


def bulletin_settings(settings: BaseSettings) -> Settings:
    """The bulletin config handed in by the CLI, or loaded the usual way under ``scrapy crawl``."""
    data = settings.get("BULLETIN_SETTINGS")
    return Settings.from_dict(data) if data else load_settings()


def scrapy_overrides(config: Settings) -> dict[str, Any]:
    """The [crawl] table as Scrapy settings."""
    delay = float(config["crawl.download_delay"])
    max_bytes = int(config["crawl.max_page_bytes"])
    return {
        "ROBOTSTXT_OBEY": config["crawl.obey_robots"],
        "USER_AGENT": config.user_agent,
        "DOWNLOAD_DELAY": delay,
        "AUTOTHROTTLE_ENABLED": config["crawl.autothrottle"],
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.01),
        "CONCURRENT_REQUESTS_PER_DOMAIN": config["crawl.concurrency_per_domain"],
        "DOWNLOAD_TIMEOUT": float(config["crawl.timeout"]),
        "RETRY_TIMES": config["crawl.retries"],
        "DOWNLOAD_MAXSIZE": max_bytes,
        "DOWNLOAD_WARNSIZE": min(max_bytes, 2 * 1024 * 1024),
        "BULLETIN_PROGRESS_SECONDS": float(config["crawl.progress_seconds"]),
    }


def _flag(value: bool | str) -> bool:
    """Spider arguments arrive as strings under ``scrapy crawl -a``."""
    return value is True or str(value).lower() in {"1", "true", "yes"}


def _day(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


class BulletinSpider(scrapy.Spider):
    """Base class of the source spiders.

    Spider arguments (``-a`` under ``scrapy crawl``): ``source`` (the [sources.NAME]
    table, default: the spider's name), ``since``/``until`` (YYYY-MM-DD: back-fill and
    date filter), ``url`` (crawl one article, feed or listing URL), ``refresh`` (request
    stored articles again), ``only_relevant`` (store only security cases), ``worker``
    (request nothing of its own: take requests from the shared Redis queue only).

    Subclasses implement ``discover()`` (the requests of a normal run) and
    ``parse_article()``; ``is_article_url()`` routes ad hoc URLs.
    """

    # Article URLs of these sources never need their query string to select content.
    keep_query: ClassVar[bool] = False
    # The first day the site published; an earlier publication date is a misread.
    site_since: ClassVar[date] = date(1990, 1, 1)

    # Set by from_crawler(), once the crawler's settings are known.
    config: Settings
    source: SourceConfig
    base_url: str
    zone: tzinfo
    allowed_domains: list[str]
    # The store's run this crawl's figures go to: set by RecordRunStats when the spider opens.
    run_id: int | None = None
    # Why ``stop_crawl`` stopped this crawl ("" while it runs).
    stopped: str = ""

    def __init__(
        self,
        *args: Any,
        source: str | None = None,
        since: str | date | None = None,
        until: str | date | None = None,
        url: str | None = None,
        refresh: bool | str = False,
        only_relevant: bool | str = False,
        worker: bool | str = False,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.source_name = source or self.name
        self.since = _day(since)
        self.until = _day(until)
        self.url = url
        self.refresh = _flag(refresh)
        self.only_relevant = _flag(only_relevant)
        self.worker = _flag(worker)

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # "spider" priority: above crawler/settings.py (which CrawlerProcess re-applies to
        # each crawler at "project" priority), below `scrapy crawl -s KEY=VALUE`.
        for key, value in scrapy_overrides(bulletin_settings(settings)).items():
            settings.set(key, value, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = bulletin_settings(crawler.settings)
        spider.source = spider.config.source(spider.source_name)
        spider.base_url = spider.source.base_url
        spider.zone = zone(spider.source.get("timezone"))
        spider.allowed_domains = source_domains(spider.source, spider.url)
        crawler.signals.connect(spider.on_dropped, signal=signals.request_dropped)
        return spider

    def on_dropped(self, request: Request) -> None:
        """Count a redirect back to a URL of its own chain (A -> B -> A), which Scrapy's
        duplicate filter drops without a trace, as ``errors/redirect_loop``."""
        chain = request.meta.get("redirect_urls") or []
        if request.url in chain:
            self.count("errors/redirect_loop")
            logger.warning(
                "%s: redirect loop at %s (via %s)", self.source_name, request.url, " -> ".join(chain)
            )

    # -- what a run requests ------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        try:
            # `bulletin crawl` checked this already; `scrapy crawl` comes here directly.
            self.config.check_contact([*self.source.site_urls, *([self.url] if self.url else [])])
        except ConfigError as exc:
            logger.error("%s: %s", self.source_name, exc)
            raise CloseSpider("placeholder_contact") from None
        if self.worker:  # a shared crawl's worker: its requests come from Redis
            return
        requests = self.adhoc(self.url) if self.url else self.discover()
        for request in requests:
            yield request

    def discover(self) -> Iterable[Request]:
        raise NotImplementedError

    def adhoc(self, url: str) -> Iterable[Request]:
        """Requests for one URL given on the command line."""
        if self.is_article_url(url):
            yield self.article_request(url)
        else:
            yield self.page_request(url, self.parse_page)

    def is_article_url(self, url: str) -> bool:
        raise NotImplementedError

    def parse_page(self, response: Response) -> Iterable[Any]:
        """A listing, feed or API page given ad hoc: subclasses route it."""
        raise NotImplementedError

    def parse_article(self, response: Response) -> Iterable[Any]:
        raise NotImplementedError

    # -- requests -----------------------------------------------------------------------

    def article_request(self, url: str, callback: Any = None, **meta: Any) -> Request:
        canonical = canonical_url(url, keep_query=self.keep_query)
        return Request(
            url,
            callback=callback or self.parse_article,
            errback=self.on_error,
            meta={"bulletin_article": True, "bulletin_url": canonical, **meta},
        )

    def page_request(self, url: str, callback: Any, **kwargs: Any) -> Request:
        return Request(url, callback=callback, errback=self.on_error, **kwargs)

    @property
    def stores_only_relevant(self) -> bool:
        """``--only-relevant``, the source's ``only_relevant``, or ``crawl.only_relevant``."""
        return bool(
            self.only_relevant
            or self.source.get("only_relevant", False)
            or self.config["crawl.only_relevant"]
        )

    def belongs(self, url: str) -> bool:
        return any(host_matches(host_of(url), d) for d in self.allowed_domains)

    def keep(self, url: str, published: datetime | date | None = None) -> bool:
        """Should a discovered article link be requested? Counts each one turned away, by reason.

        Off the source's domains (``dropped/offsite``) or outside --since/--until
        (``dropped/out_of_range``). Links a listing holds that are not article URLs at
        all (navigation) are not drops and are not counted.
        """
        if not self.belongs(url):
            self.count("dropped/offsite")
            logger.debug("%s: off-site link %s (domains %s)", self.source_name, url, self.allowed_domains)
            return False
        return self.in_range(published)

    def wanted(self, published: datetime | date | None) -> bool:
        """Inside --since/--until? Unknown dates are kept: the article page decides."""
        if published is None:
            return True
        day = published.date() if isinstance(published, datetime) else published
        return not ((self.since and day < self.since) or (self.until and day > self.until))

    def in_range(self, published: datetime | date | None) -> bool:
        """``wanted()``, counting what it turns away as ``dropped/out_of_range``."""
        if self.wanted(published):
            return True
        self.count("dropped/out_of_range")
        return False

    # -- records and counts -------------------------------------------------------------

    def make_article(
        self,
        url: str,
        title: str | None,
        paragraphs: list[str],
        published: datetime | None,
        raw_html: str = "",
        **fields: Any,
    ) -> Article:
        return Article(
            source=self.source_name,
            url=canonical_url(url, keep_query=self.keep_query),
            title=(title or "").strip(),
            text="\n\n".join(paragraphs),
            fetched_at=datetime.now(UTC),
            published_at=published,
            raw_html=raw_html,
            **fields,
        )

    def checked_body(
        self,
        sel: Selector,
        html: str,
        paras: list[str],
        url: str,
        tidy: Callable[[list[str]], list[str]] | None = None,
    ) -> list[str]:
        """The body, cross-checked against the page's own description (og:description).

        Sites write the description from the lead's start, so a body that does not hold it
        has probably lost text (a rule took the lead for a caption, changed markup): it is
        counted as ``body_suspect`` and logged, and trafilatura's reading of the page is
        taken instead when that one holds the description. A description that appears
        nowhere in the page's visible text is a summary written apart, which says nothing
        about the body, and is not counted. ``tidy`` takes the site's furniture (credit
        lines) out of trafilatura's paragraphs.
        """
        description = page_description(sel)
        if not description or holds_description("\n".join(paras), description):
            return paras
        if not holds_description(visible_text(sel), description):
            return paras
        self.count("body_suspect")
        import trafilatura  # a quarter of a second to import: only for the rare suspect body

        fallback = trafilatura.extract(html, url=url, include_comments=False, include_tables=False)
        fallback_paras = [p.strip() for p in (fallback or "").split("\n") if p.strip()]
        if tidy is not None:
            fallback_paras = tidy(fallback_paras)
        if fallback_paras and holds_description("\n".join(fallback_paras), description):
            logger.warning(
                "%s: %s: the body lacks the page's description; trafilatura's text holds it and is kept",
                self.source_name,
                url,
            )
            return fallback_paras
        logger.warning("%s: %s: the body lacks the page's description %r", self.source_name, url, description)
        return paras

    def plausible(self, moment: datetime | date | None, where: str) -> bool:
        """Can ``moment`` be a publication time of this site? Counts it as
        ``rejected_dates/<where>`` when not: more than a day in the future (a Buddhist-era
        year, 2569, read as a Gregorian one) or before the site existed."""
        if moment is None:
            return False
        if isinstance(moment, datetime):
            late = moment > datetime.now(UTC) + FUTURE_SLACK if moment.tzinfo else False
            day = moment.date()
        else:
            late, day = moment > date.today() + FUTURE_SLACK, moment
        late = late or day > date.today() + FUTURE_SLACK
        if late or day < self.site_since:
            self.count(f"rejected_dates/{where}")
            logger.warning(
                "%s: %s is not a publication date (%s); trying the next source",
                self.source_name,
                moment,
                where,
            )
            return False
        return True

    def publication_time(
        self, sel: Selector, html: str, url: str, *candidates: tuple[str, datetime | date | None]
    ) -> datetime | None:
        """The first plausible time of ``candidates`` (where read, value), then of the
        page's meta tags, its URL and htmldate, in that order; each impossible one is
        rejected and counted (``plausible``). A bare day is midnight in the source's zone."""
        for where, moment in candidates:
            if moment is not None and self.plausible(moment, where):
                return aware(moment, self.zone)
        for css in DATE_METAS:
            moment = parse_stamp(sel.css(css).get())
            if moment is not None and self.plausible(moment, "meta"):
                return aware(moment, self.zone)
        found = URL_DATE.search(url)
        if found:
            try:
                day = date(*(int(g) for g in found.groups()))
            except ValueError:
                day = None
            if day is not None and self.plausible(day, "url"):
                return aware(day, self.zone)
        import htmldate  # imports trafilatura's parts: only when the page gave no usable date

        guessed = htmldate.find_date(html, url=url, original_date=True, extensive_search=False)
        moment = parse_stamp(guessed)
        if moment is not None and self.plausible(moment, "htmldate"):
            return aware(moment, self.zone)
        return None

    def page_text(self, response: Response) -> str:
        """The page decoded (``parsing.decoding``); a wrong declaration is counted as ``redecoded/<how>``."""
        text, how = decoding(response)
        if how != "declared":
            self.count(f"redecoded/{how}")
            logger.debug("%s: %s read as %s, not as declared", self.source_name, response.url, how)
        return text

    def check_xml(self, response: Response) -> None:
        """Count a feed or sitemap that declares hostile entities (``errors/hostile_xml``).

        They are never expanded (feedparser and Scrapy's sitemap parser refuse them) and the
        document's plain links are still read; the count and the warning say it happened.
        """
        if hostile_xml(response.body):
            self.count("errors/hostile_xml")
            logger.warning(
                "%s: %s declares external or nested XML entities (an entity bomb?): "
                "they are not expanded; its plain links are read",
                self.source_name,
                response.url,
            )

    def count(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"bulletin/{key}", n)

    def on_error(self, failure: Failure) -> None:
        """Count a failed request by kind; requests a middleware ignored are counted there."""
        if failure.check(IgnoreRequest) and not failure.check(HttpError):  # HttpError subclasses it
            kind = ignored_kind(failure)
            if kind is None:  # our own middlewares count what they ignore
                return
        else:
            kind = error_kind(failure)
        self.count(f"errors/{kind}")
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        logger.warning("%s: %s at %s", self.source_name, kind, url)


def source_domains(source: SourceConfig, url: str | None = None) -> list[str]:
    """The domains whose URLs belong to a source: ``domains``, plus the hosts it is told to read.

    Those hosts are ``base_url`` and ``search_url`` and, so that a generic source
    configured with only feeds or listings (the README's example) keeps their items,
    the hosts of its feeds, sitemaps and listings, ``www.`` dropped so that sibling
    subdomains (``news.`` next to ``www.``) count too.
    """
    domains = {host_of(u) for u in (source.base_url, source.get("search_url", "")) if u}
    domains.update(source.get("domains", []))
    for key in ("feeds", "sitemaps", "listings"):
        domains.update(site_domain(u) for u in source.get(key, []))
    if url:
        domains.add(host_of(url))
    return sorted(d for d in domains if d)


def error_kind(failure: Failure) -> str:
    """A short, stable name for why a request failed (the summary's error columns)."""
    if isinstance(failure.value, HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(DownloadTimeoutError, TimeoutError, TCPTimedOutError):
        return "timeout"
    if failure.check(DownloadCancelledError, CancelledError):
        return "too_large"  # Scrapy cancels a download that passes DOWNLOAD_MAXSIZE
    if failure.check(CannotResolveHostError, DownloadConnectionRefusedError, DNSLookupError, ConnectError):
        return "unreachable"
    if failure.check(ResponseDataLossError, DownloadFailedError, ResponseFailed, ConnectionLost):
        return "connection_lost"
    return type(failure.value).__name__


def ignored_kind(failure: Failure) -> str | None:
    """What Scrapy's own middlewares ignored a request for, as an error kind (None: not theirs).

    A response whose body passes ``DOWNLOAD_MAXSIZE`` while it is decompressed (a gzip
    bomb: HttpCompressionMiddleware) is ``too_large``, like one that is that large on the
    wire; a redirect chain past ``REDIRECT_MAX_TIMES`` (a loop: RedirectMiddleware) is
    ``redirect_loop``. Both were dropped without a trace before.
    """
    message = str(failure.value)
    if "DOWNLOAD_MAXSIZE" in message:
        return "too_large"
    if "max redirections reached" in message:
        return "redirect_loop"
    return None


def stop_crawl(crawler: Crawler, reason: str, message: str) -> None:
    """Stop the whole crawl at once, saying why in one line (the first time only).

    For what no later request can fix, such as an archive whose disk is full: every item
    after it would fail the same way. ``reason`` becomes the spider's close reason, which
    ``bulletin crawl`` turns into a failed run.
    """
    spider = running_spider(crawler)
    if spider.stopped:
        return
    spider.stopped = reason
    logger.error("%s; the crawl stops", message)
    deferred_from_coro(crawler.engine.close_spider_async(reason=reason))


def running_spider(crawler: Crawler) -> BulletinSpider:
    """The crawler's spider, for the pipelines, middlewares and extensions that read its source."""
    spider = crawler.spider
    if not isinstance(spider, BulletinSpider):
        raise TypeError(f"bulletin components run only under a BulletinSpider, not {spider!r}")
    return spider
