"""ScoreRelevancePipeline: flag and score whether an article reports a security case."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Self

from scrapy.exceptions import DropItem

from bulletin.errors import DiskFullError
from bulletin.records import Article
from bulletin.relevance import relevance
from bulletin.store import Store
from crawler.base import running_spider, stop_crawl

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class ScoreRelevancePipeline:
    """Sets ``relevant``/``relevance``; drops irrelevant articles when only_relevant is on.

    only_relevant comes from ``--only-relevant`` (the spider's ``only_relevant``
    argument), the source's table, or ``crawl.only_relevant``. A dropped article's URL is
    remembered in the store (``passed_over``) so later runs do not request it again.
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
        spider = running_spider(self.crawler)
        relevant, score = relevance(item.title, item.text, spider.config["crawl.relevance_threshold"])
        if spider.stores_only_relevant and not relevant:
            self.crawler.stats.inc_value("bulletin/dropped/irrelevant")
            if self.store is not None:
                try:
                    self.store.pass_over(item.url, item.source, "irrelevant")
                except DiskFullError as exc:
                    stop_crawl(self.crawler, "disk_full", str(exc))
            raise DropItem(f"irrelevant: {item.url}", log_level="DEBUG")
        return dataclasses.replace(item, relevant=relevant, relevance=score)
