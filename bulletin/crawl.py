"""Run crawls: pick the spiders for the requested sources or URLs and run them in this process.

Scrapy's reactor cannot be restarted, so ``run_crawl`` may be called once per process;
the scheduler and the tests start a child process per crawl.
"""

from __future__ import annotations

import errno
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings as ScrapySettings
from scrapy.settings.default_settings import URLLENGTH_LIMIT

from bulletin.config import Settings, SourceConfig
from bulletin.database import is_url, shown
from bulletin.errors import DiskFullError, QueueError, SourceError
from bulletin.records import CrawlStats
from bulletin.recovery import recover
from bulletin.store import Store
from bulletin.urls import host_matches, host_of
from crawler.extensions import crawl_stats

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """One spider to run: a configured source, optionally limited to one URL."""

    source: SourceConfig
    url: str | None = None


@dataclass
class CrawlResult:
    run_id: int
    status: str
    stats: list[CrawlStats] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Why the crawl could not go on (one line), e.g. its shared Redis queue stayed unreachable.
    error: str | None = None


# Where a shared crawl keeps each source's requests and fingerprints in Redis.
QUEUE_KEY = "bulletin:%(spider)s:requests"
DUPEFILTER_KEY = "bulletin:%(spider)s:dupefilter"
# Kept alive by a running seed: a worker that has had no request waits until it sees it.
SEEDING_KEY = "bulletin:seeding"


def prepare_queue(url: str, sources: list[str], seed: bool) -> None:
    """Check that the shared queue's Redis answers; when seeding, start a new crawl of ``sources``.

    A new crawl forgets the previous one's request fingerprints, so listings and feeds are
    read again and what a killed worker held is found again; the archive check keeps every
    article already stored from being fetched twice. Queued requests are kept (a stopped
    crawl resumes).
    """
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        client.ping()
        if seed:
            client.delete(*(DUPEFILTER_KEY % {"spider": name} for name in sources))
        client.close()
    except (redis.exceptions.RedisError, ValueError) as exc:
        raise QueueError(f"redis: cannot use {shown(url)}: {exc}") from None


def resolve_targets(settings: Settings, names: list[str]) -> tuple[Settings, list[Target]]:
    """Turn command-line words into targets.

    No words: every enabled source. A source name: that source (a disabled one only if
    the user's config points it at a site, see ``named_source``). A URL: the source whose
    domains cover its host, else an ad hoc generic source named after the host. Raises
    ``SourceError`` or ``ConfigError`` (placeholder contact) before anything is requested.
    """
    if not names:
        targets = [Target(s) for s in settings.sources.values() if s.enabled]
        if not targets:
            raise SourceError("no enabled sources: enable one in the config or name one")
    else:
        targets = []
        for word in names:
            if word.startswith(("http://", "https://")):
                if len(word) > URLLENGTH_LIMIT:
                    raise SourceError(
                        f"URL is {len(word):,} characters long; Scrapy requests none longer than "
                        f"{URLLENGTH_LIMIT:,} (URLLENGTH_LIMIT, the longest URL browsers take): {word[:80]}…"
                    )
                settings, source = source_for_url(settings, word)
                targets.append(Target(source, url=word))
            else:
                targets.append(Target(named_source(settings, word)))
    for target in targets:
        if target.url is None:
            check_readable(target.source)
        settings.check_contact([*target.source.site_urls, *([target.url] if target.url else [])])
    return settings, targets


def named_source(settings: Settings, name: str) -> SourceConfig:
    """The source a user named; a disabled one is refused unless the user's config points it somewhere.

    ``enabled = false`` means "not this site"; naming such a source would otherwise crawl
    the real site of the shipped defaults. With a ``base_url`` (or, for a generic
    source, feeds, sitemaps or listings) from the user's file or environment, the user
    has said where to crawl it, so it is crawled.
    """
    source = settings.source(name)
    if not source.enabled and not source.configured:
        raise SourceError(
            f"source {name!r} is disabled: set enabled = true in [sources.{name}] "
            f"(or BULLETIN_SOURCES_{name.upper().replace('-', '_')}_ENABLED=true), or set its base_url "
            f"to a mirror or test server, to crawl it"
        )
    return source


def check_readable(source: SourceConfig) -> None:
    """A generic source needs something to read; say so instead of crawling nothing."""
    if source.kind == "generic" and not any(source.get(k) for k in ("feeds", "sitemaps", "listings")):
        raise SourceError(f"source {source.name!r} has no feeds, sitemaps or listings to read")


def source_for_url(settings: Settings, url: str) -> tuple[Settings, SourceConfig]:
    host = host_of(url)
    if not host:
        raise SourceError(f"not a URL: {url!r}")
    # Exact site first (scheme, host and port: several mirrors may share one host), then
    # any source whose domains cover the host.
    netloc = urlsplit(url).netloc.lower()
    for source in settings.sources.values():
        if netloc in {
            urlsplit(u).netloc.lower() for u in (source.base_url, source.get("search_url", "")) if u
        }:
            return settings, source
    for source in settings.sources.values():
        if any(host_matches(host, d) for d in source.get("domains", [])):
            return settings, source
    adhoc = SourceConfig(name=host, kind="generic", enabled=False, base_url="", options={"domains": [host]})
    # The ad hoc source is a config entry like any other, so the spider loader finds it.
    return Settings(settings.values, {**settings.sources, host: adhoc}, settings.files), adhoc


def scrapy_settings(settings: Settings, run_id: int, redis_url: str = "") -> ScrapySettings:
    scrapy = ScrapySettings()
    scrapy.setmodule("crawler.settings", priority="project")
    scrapy.set("BULLETIN_SETTINGS", settings.to_dict(), priority="cmdline")
    scrapy.set("BULLETIN_RUN_ID", run_id, priority="cmdline")
    # The CLI owns logging: Scrapy must not add a second root handler.
    scrapy.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    if redis_url:
        # A shared crawl: scrapy-redis's scheduler and duplicate filter, as it documents them.
        shared = {
            "SCHEDULER": "crawler.scheduler.SharedScheduler",
            "DUPEFILTER_CLASS": "crawler.dupefilter.ArticleDupeFilter",
            "SCHEDULER_PERSIST": True,  # a stopped worker's queue stays for the others
            "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",  # atomic, non-blocking pop
            "SCHEDULER_QUEUE_KEY": QUEUE_KEY,
            "SCHEDULER_DUPEFILTER_KEY": DUPEFILTER_KEY,
            "SCHEDULER_IDLE_BEFORE_CLOSE": 0,  # never block the reactor: SharedScheduler waits
            "REDIS_URL": redis_url,
            # Fail fast while Redis is away (the scheduler waits between tries), never hang a worker.
            "REDIS_PARAMS": {"socket_timeout": 5, "socket_connect_timeout": 5, "retry_on_timeout": True},
            "BULLETIN_REDIS_IDLE_SECONDS": float(settings["redis.idle_seconds"]),
            "BULLETIN_REDIS_WAIT_SECONDS": float(settings["redis.wait_seconds"]),
            "BULLETIN_REDIS_SEEDING_KEY": SEEDING_KEY,
        }
        for key, value in shared.items():
            scrapy.set(key, value, priority="cmdline")
    return scrapy


# Room held beside a SQLite archive while a crawl runs (``<db>.reserve``), given back once
# the disk is full: SQLite needs some to checkpoint its WAL and write even one row, and the
# run must still be recorded failed, with its figures.
RESERVE_BYTES = 256 * 1024


class Reserve:
    """``RESERVE_BYTES`` taken on the archive's file system, until ``release()``."""

    def __init__(self, db: str):
        self.path = None if is_url(db) or db == ":memory:" else Path(f"{Path(db).expanduser()}.reserve")
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("wb") as out:
                out.write(b"\0" * RESERVE_BYTES)
        except OSError as exc:
            self.release()
            if exc.errno == errno.ENOSPC:
                raise DiskFullError(
                    f"{db}: disk full: no room left beside the archive to crawl into"
                ) from None
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                return  # a read-only archive: Store.open says so in its own words
            raise

    def release(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def run_crawl(
    settings: Settings,
    targets: list[Target],
    since: date | None = None,
    until: date | None = None,
    refresh: bool = False,
    only_relevant: bool = False,
    command: str = "bulletin crawl",
    redis_url: str = "",
    worker: bool = False,
) -> CrawlResult:
    """Crawl the targets into the archive as one run; return its per-source figures.

    With ``redis_url`` the requests go through the shared queue in that Redis: this process
    seeds it with the targets' start requests and works on it like any worker, or, with
    ``worker``, only works on it. Either stops when the queue has been idle for
    ``redis.idle_seconds``.
    """
    if redis_url:
        prepare_queue(redis_url, [t.source.name for t in targets], seed=not worker)
    with Store.open(settings.db) as store:
        recover(store)  # crawl runs whose process died (SIGKILL) must not stay "running"
        run_id = store.start_run(command)
    reserve = Reserve(str(settings.db))
    process = CrawlerProcess(scrapy_settings(settings, run_id, redis_url))
    reasons: list[str] = []
    crawlers = []
    for target in targets:
        # By source name: crawler.spiderloader builds each source's spider from its kind.
        crawler = process.create_crawler(target.source.name)
        crawlers.append((target.source.name, crawler))
        crawler.signals.connect(
            lambda reason, **_: reasons.append(reason), signal=signals.spider_closed, weak=False
        )
        kwargs: dict[str, Any] = {
            "source": target.source.name,
            "since": since,
            "until": until,
            "refresh": refresh,
            "only_relevant": only_relevant,
            "worker": worker,
        }
        if target.url:
            kwargs["url"] = target.url
        process.crawl(crawler, **kwargs)
    status = "failed"
    try:
        process.start()
        if "disk_full" in reasons:  # the store could not write: said once, in the log
            status = "failed"
        else:
            status = "finished" if all(r == "finished" for r in reasons) and reasons else "interrupted"
    finally:
        reserve.release()
        with Store.open(settings.db) as store:
            try:
                store.finish_run(run_id, status)
            except DiskFullError as exc:
                if "disk_full" not in reasons:
                    raise
                # RecordRunStats marked it failed while it could; else the next command
                # finds it abandoned. The crawl has said "disk full" once already.
                logger.debug("run %d: status not recorded: %s", run_id, exc)
            stats = store.run_stats(run_id)
            if "disk_full" in reasons:
                # RecordRunStats found the disk full; with every other connection closed there
                # may be room for the figures now. Either way the summary shows them.
                recorded = {s.source for s in stats}
                for name, done in crawlers:
                    if name in recorded or done.stats is None:
                        continue
                    figures = crawl_stats(name, done.stats.get_stats())
                    try:
                        store.record_source_stats(run_id, figures)
                    except DiskFullError as exc:
                        logger.debug("%s: figures not recorded: %s", name, exc)
                    stats.append(figures)
    # In a shared crawl this process's share of a source may rightly be empty.
    problems = [] if redis_url else crawl_problems(stats)
    for problem in problems:
        logger.warning("%s", problem)
    error = None
    if "redis_unreachable" in reasons:
        error = (
            f"redis: {shown(redis_url)} stayed unreachable for {settings['redis.wait_seconds']:g} s "
            "(redis.wait_seconds): the crawl stopped; what it had not queued is found again by the next "
            "`bulletin crawl --redis`"
        )
    return CrawlResult(run_id, status, stats, problems, error)


def crawl_problems(stats: list[CrawlStats]) -> list[str]:
    """One line per source that yielded no article at all, with what became of its links,
    and one for each source whose bodies were suspect or whose dates were rejected.

    A source that collected nothing is nearly always misconfigured (domains, feeds,
    link_pattern, selectors) or broken; a run must say so rather than report "0 new".
    """
    problems = []
    for s in stats:
        if s.body_suspect:
            problems.append(
                f"{s.source}: {s.body_suspect} article bodies lack the page's own description "
                "(body_suspect: story text may be lost; see the warnings for the URLs)"
            )
        if s.rejected_dates:
            where = ", ".join(f"{k} {v}" for k, v in sorted(s.rejected_dates.items()))
            problems.append(
                f"{s.source}: {sum(s.rejected_dates.values())} publication dates rejected as impossible "
                f"(in the future or before the site existed: {where}); the next date source was used"
            )
        if s.found:
            continue
        parts = [f"requested {s.requested}"]
        if s.dropped:
            parts.append("dropped " + ", ".join(f"{k} {v}" for k, v in sorted(s.dropped.items())))
        if s.error_kinds:
            parts.append("errors " + ", ".join(f"{k} {v}" for k, v in sorted(s.error_kinds.items())))
        hint = ""
        if s.dropped.get("offsite"):
            hint = "; article links were off the source's domains: set its domains"
        elif not s.errors and not s.blocked:
            hint = "; check its feeds, listings and link_pattern"
        problems.append(f"{s.source}: no articles found ({'; '.join(parts)}){hint}")
    return problems


def adhoc_failures(targets: list[Target], stats: list[CrawlStats]) -> list[str]:
    """One line per URL given on the command line whose crawl left no article in the archive.

    An ad hoc crawl is asked for one thing; when nothing of it was stored (a 404, a page
    that is no article, a listing with no article links) the command failed, and says so
    with its exit status. An article already stored (skipped) is in the archive: no failure.
    """
    by_source = {s.source: s for s in stats}
    failed = []
    for target in targets:
        if target.url is None:
            continue
        s = by_source.get(target.source.name)
        if s is None or s.new + s.updated + s.duplicates + s.skipped == 0:
            failed.append(f"{target.url}: nothing stored")
    return failed


def health(last: CrawlStats | None) -> str:
    """A source's health from its last run, so changed markup shows up as broken."""
    if last is None:
        return "never crawled"
    if last.blocked:
        if last.new + last.updated + last.duplicates + last.skipped == 0:
            return "blocked (bot challenge)"
        return f"partly blocked ({last.dropped.get('challenge', 0)} challenge pages)"
    if last.requested == 0:
        return "no requests (robots.txt or config?)"
    if last.found == 0:
        if last.errors:
            kinds = ", ".join(f"{k} {v}" for k, v in sorted(last.error_kinds.items()))
            return f"failing: nothing fetched ({kinds})"
        return "broken: no articles found"
    unparsed = last.dropped.get("not_article", 0) + last.dropped.get("empty", 0)
    if last.found and unparsed / last.found >= 0.5:
        return "broken: pages did not parse"
    rate = last.errors / last.requested
    if rate >= 0.5:
        return f"failing ({rate:.0%} errors)"
    if rate >= 0.1:
        return f"degraded ({rate:.0%} errors)"
    if last.body_suspect:
        return f"suspect: {last.body_suspect} bodies lack the page's description"
    if last.rejected_dates:
        return f"ok, {sum(last.rejected_dates.values())} impossible dates rejected"
    return "ok"


FAILED_HEALTH = ("blocked", "broken", "failing", "no requests")


def failed_sources(stats: list[CrawlStats]) -> list[str]:
    """Sources whose run counts as failed (the digest names them)."""
    return sorted({s.source for s in stats if health(s).startswith(FAILED_HEALTH)})
