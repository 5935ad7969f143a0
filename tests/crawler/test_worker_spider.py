"""A shared crawl's worker spider requests nothing of its own, at start or when it goes idle."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request
from scrapy.utils.test import get_crawler

from bulletin.config import load_settings
from crawler.base import BulletinSpider
from crawler.spiders.chinadaily import ChinaDailySpider
from crawler.spiders.generic import GenericSpider

CONFIG = """
[sources.chinadaily]
base_url = "http://127.0.0.1:1"
search_url = "http://127.0.0.1:2"
sections = ["china/"]
search_terms = ["espionage"]

[sources.prosecutors]
kind = "generic"
base_url = "http://127.0.0.1:3"
feeds = ["http://127.0.0.1:3/feed.xml"]
listings = ["http://127.0.0.1:3/news/index.html"]
"""


class Engine:
    """Records what a spider hands to ``crawler.engine.crawl`` (no engine runs in these tests)."""

    def __init__(self) -> None:
        self.crawled: list[Request] = []

    def crawl(self, request: Request) -> None:
        self.crawled.append(request)


def spider(
    tmp_path: Path, cls: type[BulletinSpider], source: str, worker: bool
) -> tuple[BulletinSpider, Engine]:
    config = tmp_path / "c.toml"
    config.write_text(CONFIG, encoding="utf-8")
    settings = load_settings(config, env={})
    crawler = get_crawler(cls, {"BULLETIN_SETTINGS": settings.to_dict()})
    engine = Engine()
    crawler.engine = engine  # type: ignore[assignment]
    return cls.from_crawler(crawler, source=source, worker=worker), engine


@pytest.mark.parametrize(
    ("cls", "source", "hook"),
    [(ChinaDailySpider, "chinadaily", "start_search"), (GenericSpider, "prosecutors", "start_listings")],
)
def test_the_idle_phase_is_the_seeds_not_a_workers(
    tmp_path: Path, cls: type[BulletinSpider], source: str, hook: str
) -> None:
    # Workers open before the seed, go idle at once, and the seed forgets the fingerprints
    # when it starts a crawl: a worker's search or listing request would be fetched twice.
    seed, engine = spider(tmp_path, cls, source, worker=False)
    with pytest.raises(DontCloseSpider):
        getattr(seed, hook)()
    assert engine.crawled

    worker, engine = spider(tmp_path, cls, source, worker=True)
    getattr(worker, hook)()
    assert engine.crawled == []
