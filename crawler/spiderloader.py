"""SourceSpiderLoader: one Scrapy spider per configured source, so `scrapy crawl <source>` works.

Scrapy's own loader finds spider classes by their ``name``, which here is a kind
(``globaltimes``, ``generic``...), while users name sources (``[sources.cps]`` of kind
``generic``, a ``gt-mirror`` of kind ``globaltimes``). This loader (``SPIDER_LOADER_CLASS``
in crawler/settings.py) reads the bulletin config and gives each source a subclass of its
kind's spider named after the source; ``scrapy list`` lists the sources.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Self

from scrapy.spiderloader import SpiderLoader

from crawler.base import BulletinSpider, bulletin_settings

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.settings import BaseSettings


class SourceSpiderLoader:
    """Spider classes for the sources of the bulletin config (Scrapy's ``SpiderLoaderProtocol``)."""

    def __init__(self, settings: BaseSettings):
        self.kinds = SpiderLoader.from_settings(settings)  # the spider classes, by kind
        self.config = bulletin_settings(settings)
        self._classes: dict[str, type[BulletinSpider]] = {}

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        return cls(settings)

    def load(self, spider_name: str) -> type[Spider]:
        """The spider of source ``spider_name``; a KeyError naming the sources if there is none."""
        if spider_name not in self._classes:
            source = self.config.sources.get(spider_name)
            if source is None:
                known = ", ".join(self.config.sources) or "none"
                raise KeyError(f"Spider not found: {spider_name} (configured sources: {known})")
            kind = self.kinds.load(source.kind)
            if not issubclass(kind, BulletinSpider):
                raise TypeError(f"source kind {source.kind!r} is {kind.__name__}, not a BulletinSpider")
            # A subclass, not the kind's class with a changed name: two sources of one kind
            # may run in one process.
            self._classes[spider_name] = type(
                f"{kind.__name__}_{_identifier(spider_name)}",
                (kind,),
                {"name": spider_name, "__module__": kind.__module__, "__doc__": kind.__doc__},
            )
        return self._classes[spider_name]

    def list(self) -> list[str]:
        return list(self.config.sources)

    def find_by_request(self, request: Request) -> builtins.list[str]:  # `list` is the method above
        """Sources whose domains cover the request's host (`scrapy fetch`, `scrapy shell`)."""
        from bulletin.urls import host_matches, host_of
        from crawler.base import source_domains

        host = host_of(request.url)
        return [
            name
            for name, source in self.config.sources.items()
            if any(host_matches(host, d) for d in source_domains(source))
        ]


def _identifier(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)
