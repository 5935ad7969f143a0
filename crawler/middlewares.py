"""Downloader middlewares: robots.txt, skip archived articles, retry with back-off, spot bot
challenges, keep redirects on the site's port, defuse hostile XML."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from bulletin.store import Store
from bulletin.urls import host_of, is_loopback
from crawler.base import BulletinSpider, running_spider
from crawler.parsing import defuse_xml, hostile_xml, xml_root

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)


class RequireContactMiddleware:
    """No request to a real host while ``crawl.contact`` is a placeholder; loopback is fine.

    ``bulletin crawl`` and the spider's ``start()`` refuse up front for the URLs every
    run reads; this catches the rest (a search host read only with --since, a redirect,
    a link to another host). Counted as ``errors/placeholder_contact``.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.warned = False
        self.problem: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if self.problem is None:  # the config is fixed for the crawl: read it once
            config = getattr(self.crawler.spider, "config", None)
            self.problem = (config.contact_problem if config is not None else None) or ""
        if not self.problem or is_loopback(host_of(request.url)):
            return
        self.crawler.stats.inc_value("bulletin/errors/placeholder_contact")
        if not self.warned:
            self.warned = True
            logger.error("not requesting %s: crawl.contact: %s", request.url, self.problem)
        raise IgnoreRequest(f"placeholder contact, real host: {request.url}")


class ObeyRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with every request that waited for robots.txt checked.

    Scrapy's hands the parser to requests that arrive while robots.txt is still
    downloading by awaiting one pending Deferred through ``Deferred.asFuture``, whose
    callback returns None: the first such request gets the parser, every later one gets
    None, which means "no robots.txt", and is let through (Scrapy 2.19; the await came
    with scrapy/scrapy#6802). A plain crawl rarely has more than one such request per
    host, as its first request to a host is a listing; a shared crawl's worker takes a
    burst of article requests for a host from Redis before it has read that host's
    robots.txt, and fetched Disallowed pages. Once the download is over, the parser (or
    None when robots.txt could not be read) is in ``_parsers``: a waiter reads it there.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        if parser is None:
            known = self._parsers.get(urlparse_cached(request).netloc)
            if known is not None and not isinstance(known, Deferred):
                return known
        return parser


class SkipStoredMiddleware:
    """Never request an article page whose canonical URL is already in the archive.

    Nor one passed over as irrelevant, while the run stores only relevant articles.
    Listing pages, feeds and APIs carry no ``bulletin_article`` meta and always go
    through. ``refresh=True`` on the spider (``bulletin crawl --refresh``) turns the
    skipping off.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.store: Store | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def spider_opened(self) -> None:
        spider = self.crawler.spider
        if isinstance(spider, BulletinSpider) and not spider.refresh:
            self.store = Store.open(spider.config.db)

    def spider_closed(self) -> None:
        if self.store is not None:
            self.store.close()

    def process_request(self, request: Request) -> None:
        url = request.meta.get("bulletin_url")
        if self.store is None or not url or not request.meta.get("bulletin_article"):
            return
        if self.store.has_url(url):
            self.crawler.stats.inc_value("bulletin/skipped/already_stored")
            raise IgnoreRequest(f"already stored: {url}")
        if running_spider(self.crawler).stores_only_relevant and self.store.passed_over(url):
            self.crawler.stats.inc_value("bulletin/skipped/passed_over")
            raise IgnoreRequest(f"passed over before as irrelevant: {url}")


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, with exponential back-off and jitter between attempts.

    A server answering 5xx or timing out is usually overloaded; hitting it again at once
    makes that worse. The n-th retry waits ``RETRY_BACKOFF_BASE * 2**(n-1)`` seconds (up
    to ``RETRY_BACKOFF_MAX``), +-25 %, without holding a download slot.
    """

    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    def _retry(self, request: Request, reason: str | Exception | type[Exception]) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None and self.base > 0:
            attempt = retry.meta.get("retry_times", 1)
            delay = min(self.cap, self.base * 2 ** (attempt - 1))
            retry.meta["bulletin_retry_delay"] = delay * random.uniform(0.75, 1.25)  # noqa: S311 (jitter)
        return retry

    async def process_request(self, request: Request) -> None:
        delay = request.meta.pop("bulletin_retry_delay", 0)
        if delay:
            await asyncio.sleep(delay)


# Akamai Bot Manager's interstitial (justice.gov) and the usual JS challenge pages: the
# page is a small HTML shell that redirects to itself with a token. Lower-case byte
# strings, checked with plain substring search (this runs on every response).
CHALLENGE_MARKERS = (
    b"bm-verify=",
    b"akamai-logo",
    b"powered and protected by",
    b"cf-browser-verification",
    b"challenge-platform",
    b"_incapsula_resource",
    b"please enable javascript and cookies to continue",
)
CHALLENGE_MAX_BYTES = 20_000  # real articles are larger; challenge shells are a few KB


class DetectChallengeMiddleware:
    """Turn a bot-challenge page into a counted drop instead of an article full of junk."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        body = response.body
        if len(body) > CHALLENGE_MAX_BYTES:
            return response
        body = body.lower()
        if any(marker in body for marker in CHALLENGE_MARKERS):
            self.crawler.stats.inc_value("bulletin/dropped/challenge")
            logger.warning("bot challenge instead of content at %s", request.url)
            raise IgnoreRequest(f"bot challenge page at {request.url}")
        return response


def _site(url: str) -> tuple[str, int | None]:
    """A URL's host and port, the port None when it is the scheme's default (80, 443)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # a port that is no number: another site, whatever it is
        return (parts.hostname or "", -1)
    if port == {"http": 80, "https": 443}.get(parts.scheme):
        port = None
    return (parts.hostname or "", port)


class SamePortRedirectMiddleware:
    """A redirect to another port of the same host is another site: dropped as ``offsite``.

    Scrapy's off-site rule compares host names only (``allowed_domains``), so a page that
    redirected from ``host:8080`` to ``host:9090`` was followed and stored under the other
    server's page. A scheme's default port is no port: ``http://x`` -> ``https://x`` stays.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        chain = request.meta.get("redirect_urls")
        if not chain:
            return
        (host, port), (was_host, was_port) = _site(request.url), _site(chain[-1])
        if host == was_host and port != was_port:
            self.crawler.stats.inc_value("bulletin/dropped/offsite")
            logger.debug("redirect to another port, another site: %s -> %s", chain[-1], request.url)
            raise IgnoreRequest(f"redirect to another port: {chain[-1]} -> {request.url}")


# Documents whose DOCTYPE is looked at: feeds and sitemaps (an HTML page's is not parsed as XML).
XML_ROOTS = ("rss", "feed", "rdf:rdf", "urlset", "sitemapindex")


class DefuseXmlMiddleware:
    """A feed or sitemap declaring an entity bomb or external entities reaches the spider
    without its declarations (``parsing.defuse_xml``), so every plain link in it is read;
    counted once as ``errors/hostile_xml``, with a warning."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        body = response.body
        if not hostile_xml(body) or xml_root(body) not in XML_ROOTS:
            return response
        self.crawler.stats.inc_value("bulletin/errors/hostile_xml")
        spider = self.crawler.spider
        logger.warning(
            "%s: %s declares external or nested XML entities (an entity bomb?): "
            "they are not expanded; its plain links are read",
            getattr(spider, "source_name", "?"),
            response.url,
        )
        return response.replace(body=defuse_xml(body))
