"""StoreArticlePipeline: put each article into the archive, linked to the story it repeats."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Self

from scrapy.exceptions import DropItem

from bulletin.errors import DiskFullError
from bulletin.records import Article
from bulletin.similarity import signature
from bulletin.store import Store
from crawler.base import running_spider, stop_crawl

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class StoreArticlePipeline:
    """Commits every article as it arrives, so a killed crawl loses nothing it reported.

    Counts: ``bulletin/stored/new`` (a new story), ``bulletin/stored/duplicate`` (a new
    URL repeating a stored story: a syndicated copy), ``bulletin/stored/updated``
    (``--refresh`` found changed text), ``bulletin/stored/unchanged``. An archive whose disk
    is full stops the crawl (close reason ``disk_full``; ``errors/disk_full`` per item lost).
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.store: Store | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        self.store = Store.open(running_spider(self.crawler).config.db)

    def close_spider(self) -> None:
        if self.store is not None:
            self.store.close()

    def process_item(self, item: Article) -> Article:
        if self.store is None:
            raise RuntimeError("StoreArticlePipeline got an item before open_spider")
        spider = running_spider(self.crawler)
        stored = self.store.has_url(item.url)
        if stored and not spider.refresh:
            # An API record (China Daily search, DOJ) for an article already archived:
            # the same "never again unless --refresh" rule as for pages.
            self.crawler.stats.inc_value("bulletin/skipped/already_stored")
            return item
        sig = signature(item.text)
        story = None
        if not stored:
            story = self.store.find_story(item, sig, spider.config["crawl.similarity_threshold"])
        try:
            saved = self.store.save_article(item, spider.run_id, sig, story_id=story)
        except DiskFullError as exc:
            # Every later article would fail alike: one line, and the crawl stops now.
            stop_crawl(self.crawler, "disk_full", str(exc))
            self.crawler.stats.inc_value("bulletin/errors/disk_full")
            raise DropItem(f"not stored, disk full: {item.url}", log_level="DEBUG") from None
        outcome = "duplicate" if saved.status == "new" and story is not None else saved.status
        self.crawler.stats.inc_value(f"bulletin/stored/{outcome}")
        logger.debug("stored %s (%s, story %d)", item.url, outcome, saved.story_id)
        return dataclasses.replace(item, id=saved.id, story_id=saved.story_id)
