"""Run crawls: pick the spiders for the requested sources or URLs and run them in this process.

Scrapy's reactor cannot be restarted, so ``run_crawl`` may be called once per process;
the scheduler and the tests start a child process per crawl.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings as ScrapySettings

from bulletin.config import Settings, SourceConfig
from bulletin.errors import SourceError
from bulletin.records import CrawlStats
from bulletin.store import Store
from bulletin.urls import host_matches, host_of

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


def resolve_targets(settings: Settings, names: list[str]) -> tuple[Settings, list[Target]]:
    """Turn command-line words into targets.

    No words: every enabled source. A source name: that source. A URL: the source whose
    domains cover its host, else an ad hoc generic source named after the host.
    """
    if not names:
        targets = [Target(s) for s in settings.sources.values() if s.enabled]
        if not targets:
            raise SourceError("no enabled sources: enable one in the config or name one")
        return settings, targets
    targets = []
    for word in names:
        if word.startswith(("http://", "https://")):
            settings, source = source_for_url(settings, word)
            targets.append(Target(source, url=word))
        else:
            targets.append(Target(settings.source(word)))
    return settings, targets


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
    return Settings(settings.values, {**settings.sources, host: adhoc}, settings.files), adhoc


def scrapy_settings(settings: Settings, run_id: int) -> ScrapySettings:
    scrapy = ScrapySettings()
    scrapy.setmodule("crawler.settings", priority="project")
    scrapy.set("BULLETIN_SETTINGS", settings.to_dict(), priority="cmdline")
    scrapy.set("BULLETIN_RUN_ID", run_id, priority="cmdline")
    # The CLI owns logging: Scrapy must not add a second root handler.
    scrapy.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    return scrapy


def run_crawl(
    settings: Settings,
    targets: list[Target],
    since: date | None = None,
    until: date | None = None,
    refresh: bool = False,
    only_relevant: bool = False,
    command: str = "bulletin crawl",
) -> CrawlResult:
    """Crawl the targets into the archive as one run; return its per-source figures."""
    with Store.open(settings.db_path) as store:
        run_id = store.start_run(command)
    process = CrawlerProcess(scrapy_settings(settings, run_id))
    reasons: list[str] = []
    for target in targets:
        crawler = process.create_crawler(target.source.kind)
        crawler.signals.connect(
            lambda reason, **_: reasons.append(reason), signal=signals.spider_closed, weak=False
        )
        kwargs: dict[str, Any] = {
            "source": target.source.name,
            "since": since,
            "until": until,
            "refresh": refresh,
            "only_relevant": only_relevant,
        }
        if target.url:
            kwargs["url"] = target.url
        process.crawl(crawler, **kwargs)
    status = "failed"
    try:
        process.start()
        status = "finished" if all(r == "finished" for r in reasons) and reasons else "interrupted"
    finally:
        with Store.open(settings.db_path) as store:
            store.finish_run(run_id, status)
            stats = store.run_stats(run_id)
    return CrawlResult(run_id, status, stats)


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
    return "ok"


FAILED_HEALTH = ("blocked", "broken", "failing", "no requests")


def failed_sources(stats: list[CrawlStats]) -> list[str]:
    """Sources whose run counts as failed (the digest names them)."""
    return sorted({s.source for s in stats if health(s).startswith(FAILED_HEALTH)})
