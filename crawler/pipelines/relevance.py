"""ScoreRelevancePipeline: flag and score whether an article reports a security case."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Self

from scrapy.exceptions import DropItem

from bulletin.records import Article
from bulletin.relevance import relevance

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class ScoreRelevancePipeline:
    """Sets ``relevant``/``relevance``; drops irrelevant articles when only_relevant is on.

    only_relevant comes from ``--only-relevant`` (the spider's ``only_relevant``
    argument), the source's table, or ``crawl.only_relevant``.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: Article) -> Article:
        spider = self.crawler.spider
        config = spider.config
        relevant, score = relevance(item.title, item.text, config["crawl.relevance_threshold"])
        only = (
            getattr(spider, "only_relevant", False)
            or spider.source.get("only_relevant", False)
            or config["crawl.only_relevant"]
        )
        if only and not relevant:
            self.crawler.stats.inc_value("bulletin/dropped/irrelevant")
            raise DropItem(f"irrelevant: {item.url}", log_level="DEBUG")
        return dataclasses.replace(item, relevant=relevant, relevance=score)
