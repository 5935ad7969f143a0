"""Extensions: periodic progress lines, and the per-source figures of each run written to the store."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from bulletin.errors import DiskFullError
from bulletin.records import CrawlStats
from bulletin.store import Store
from crawler.base import running_spider

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Scrapy's own counters that are drops for our summary.
SCRAPY_DROPS = {
    "robotstxt/forbidden": "robots",
    "offsite/filtered": "offsite",
    # UrlLengthMiddleware: a link longer than URLLENGTH_LIMIT (2,083) is never requested.
    "urllength/request_ignored_count": "url_too_long",
}


def crawl_stats(source: str, stats: dict[str, Any]) -> CrawlStats:
    """Fold a crawler's stats into one summary row."""
    dropped = {
        k.removeprefix("bulletin/dropped/"): v for k, v in stats.items() if k.startswith("bulletin/dropped/")
    }
    for key, reason in SCRAPY_DROPS.items():
        if stats.get(key):
            dropped[reason] = dropped.get(reason, 0) + stats[key]
    errors = {
        k.removeprefix("bulletin/errors/"): v for k, v in stats.items() if k.startswith("bulletin/errors/")
    }
    if stats.get("spider_exceptions/count"):
        errors["parse_error"] = stats["spider_exceptions/count"]
    return CrawlStats(
        source=source,
        requested=stats.get("downloader/request_count", 0),
        found=(
            stats.get("item_scraped_count", 0)
            + stats.get("item_dropped_count", 0)
            + sum(v for k, v in stats.items() if k.startswith("bulletin/skipped/"))
        ),
        new=stats.get("bulletin/stored/new", 0),
        updated=stats.get("bulletin/stored/updated", 0),
        duplicates=stats.get("bulletin/stored/duplicate", 0),
        skipped=sum(v for k, v in stats.items() if k.startswith("bulletin/skipped/")),
        errors=sum(errors.values()),
        dropped=dropped,
        error_kinds=errors,
        blocked=bool(dropped.get("challenge")),
        redecoded={
            k.removeprefix("bulletin/redecoded/"): v
            for k, v in stats.items()
            if k.startswith("bulletin/redecoded/")
        },
        body_suspect=stats.get("bulletin/body_suspect", 0),
        rejected_dates={
            k.removeprefix("bulletin/rejected_dates/"): v
            for k, v in stats.items()
            if k.startswith("bulletin/rejected_dates/")
        },
    )


class ReportProgress:
    """Log one line of figures every ``BULLETIN_PROGRESS_SECONDS`` while a crawl runs."""

    def __init__(self, crawler: Crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        interval = crawler.settings.getfloat("BULLETIN_PROGRESS_SECONDS", 10.0)
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def report(self) -> None:
        spider = running_spider(self.crawler)
        s = crawl_stats(spider.source_name, self.crawler.stats.get_stats())
        logger.info(
            "%s: %d requested, %d new, %d duplicates, %d skipped, %d dropped, %d errors",
            spider.source_name,
            s.requested,
            s.new,
            s.duplicates,
            s.skipped,
            s.dropped_total,
            s.errors,
        )

    def spider_closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()


class RecordRunStats:
    """Write the run's per-source figures to the store when the spider closes.

    The CLI opens the run and passes its id as ``BULLETIN_RUN_ID``; under plain
    ``scrapy crawl`` this extension opens (and closes) a run of its own.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.own_run = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        spider = running_spider(self.crawler)
        spider.run_id = self.crawler.settings.getint("BULLETIN_RUN_ID") or None
        if spider.run_id is None:
            with Store.open(spider.config.db) as store:
                spider.run_id = store.start_run(f"scrapy crawl {spider.name}")
            self.own_run = True

    def spider_closed(self, reason: str) -> None:
        spider = running_spider(self.crawler)
        run_id = spider.run_id
        if run_id is None:
            raise RuntimeError("RecordRunStats: spider closed before spider_opened gave it a run")
        summary = crawl_stats(spider.source_name, self.crawler.stats.get_stats())
        try:
            with Store.open(spider.config.db) as store:
                store.record_source_stats(run_id, summary)
                if self.own_run or reason == "disk_full":
                    # A full disk fails the run; recorded now, while the write above found room.
                    status = {"finished": "finished", "disk_full": "failed"}.get(reason, reason)
                    store.finish_run(run_id, status)
        except DiskFullError as exc:
            # The crawl stopped for this already, and said so once.
            logger.debug("%s: run %d figures not recorded: %s", spider.source_name, run_id, exc)
            return
        logger.info("%s: run %d recorded (%s)", spider.source_name, run_id, reason)
