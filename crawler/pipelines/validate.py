"""ValidateArticlePipeline: drop what is not a usable article, counting why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from scrapy.exceptions import DropItem

from bulletin.records import Article
from crawler.base import running_spider
from crawler.parsing import nesting_depth

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

# Fewer words than this is a stub, a video page or a paywall teaser, not a story. Short
# wire items and API records (two sentences) are real stories, so the bar is low.
MIN_WORDS = 15
# libxml2 stops building the tree of elements nested deeper than this (lxml without
# huge_tree, as trafilatura parses; 2048 with it, as parsel does): what lies below is
# lost, so a page that came out empty and nests deeper was not read, rather than empty.
LXML_MAX_DEPTH = 256


class ValidateArticlePipeline:
    """Drops pages without a headline (not_article), without a body (empty; too_deep when the
    page nests deeper than lxml reads), or outside --since/--until."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: Article) -> Article:
        spider = running_spider(self.crawler)
        if not item.title:
            self._drop("not_article", item)
        if len(item.text.split()) < MIN_WORDS:
            if item.raw_html and nesting_depth(item.raw_html) > LXML_MAX_DEPTH:
                self._drop("too_deep", item)
            self._drop("empty", item)
        if not spider.wanted(item.published_at):
            self._drop("out_of_range", item)
        return item

    def _drop(self, reason: str, item: Article) -> None:
        self.crawler.stats.inc_value(f"bulletin/dropped/{reason}")
        raise DropItem(f"{reason}: {item.url}", log_level="DEBUG")
