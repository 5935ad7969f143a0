"""Crawl throughput: Bulletin Watch's Global Times spider vs a bare Scrapy spider, same pages, same run.

    python bench/crawl.py [--articles 1200]

Generates a Global Times-shaped site of N article pages, serves it on loopback, and crawls
it twice in child processes with identical download settings (no delay, no AutoThrottle,
robots.txt on): once with a bare spider that follows the same links and does nothing with
the pages, once with ``bulletin crawl`` (parse, validate, relevance, dedup, store). Prints
articles per second for both, their ratio (target >= 0.85), the ratio of the two
children's CPU seconds, and each run's peak memory.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bulletin.sample_server import SampleServer  # noqa: E402
from bulletin.sitegen import generate_site  # noqa: E402

CONCURRENCY = 16

BARE_SPIDER = textwrap.dedent(
    """
    import re, sys, scrapy
    from scrapy.crawler import CrawlerProcess

    class Bare(scrapy.Spider):
        name = "bare"
        def __init__(self, base, sections, **kw):
            super().__init__(**kw)
            self.base, self.sections = base, sections
        async def start(self):
            for s in self.sections:
                yield scrapy.Request(f"{self.base}/{s}", callback=self.listing)
        def listing(self, response):
            for href in response.css("a::attr(href)").getall():
                if re.search(r"/page/\\d{6}/\\d+\\.shtml$", href):
                    yield response.follow(href, callback=self.article)
        def article(self, response):
            pass

    base, sections = sys.argv[1], sys.argv[2].split(",")
    process = CrawlerProcess({
        "ROBOTSTXT_OBEY": True, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": __CONCURRENCY__,
        "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False,
    })
    process.crawl(Bare, base=base, sections=sections)
    process.start()
    """
).replace("__CONCURRENCY__", str(CONCURRENCY))


def timed(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, the child's own peak RSS in MiB and its CPU seconds (user + system;
    os.wait4 gives per-child usage). On a busy machine the CPU figure is the steadier one:
    the pages are served from this process, whose CPU is not counted."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{command[1]} exited {child.returncode}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sites = Path(tmp) / "sites"
        sections = generate_site(sites / "gt", args.articles)
        with SampleServer(sites) as server:
            base = server.base("gt")
            bare_script = Path(tmp) / "bare.py"
            bare_script.write_text(BARE_SPIDER, encoding="utf-8")
            config = Path(tmp) / "config.toml"
            config.write_text(
                textwrap.dedent(
                    f"""
                    [store]
                    path = "{Path(tmp) / "bench.db"}"
                    [crawl]
                    download_delay = 0.0
                    autothrottle = false
                    concurrency_per_domain = {CONCURRENCY}
                    progress_seconds = 0.0
                    [sources.globaltimes]
                    base_url = "{base}"
                    sections = {sections!r}
                    sitemap = false
                    """
                ).replace("'", '"'),
                encoding="utf-8",
            )
            bare_s, bare_mem, bare_cpu = timed([sys.executable, str(bare_script), base, ",".join(sections)])
            ours_s, ours_mem, ours_cpu = timed(
                [
                    sys.executable,
                    "-m",
                    "bulletin",
                    "-q",
                    "--config",
                    str(config),
                    "crawl",
                    "globaltimes",
                ]
            )
    n = args.articles
    print(f"articles: {n} pages on loopback, concurrency {CONCURRENCY}")
    print(
        f"bare scrapy spider : {n / bare_s:8.1f} articles/s  ({bare_s:.2f} s, CPU {bare_cpu:.2f} s, "
        f"peak RSS {bare_mem:.0f} MiB)"
    )
    print(
        f"bulletin crawl     : {n / ours_s:8.1f} articles/s  ({ours_s:.2f} s, CPU {ours_cpu:.2f} s, "
        f"peak RSS {ours_mem:.0f} MiB)"
    )
    print(
        f"ratio (bulletin / bare): {bare_s / ours_s:.2f}  (target >= 0.85); "
        f"by CPU seconds: {bare_cpu / ours_cpu:.2f}"
    )


if __name__ == "__main__":
    main()
