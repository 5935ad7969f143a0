"""robots.txt under the project's middlewares: no request is let through while it downloads."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

ROBOTS = b"User-agent: *\nDisallow: /private/\nAllow: /\n"
ROBOTS_DELAY = 1.0  # long enough for every start request to reach the middleware first

# A bare Scrapy spider under the project's downloader middlewares (crawler/settings.py; the
# item pipelines and extensions, which need a BulletinSpider, are left out):
# six requests to one host at once, four of them Disallowed, the way a shared crawl's
# worker takes a burst of article requests from Redis before it has read robots.txt.
CRAWL = """
import sys
import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

base = sys.argv[1]
paths = ["/a", "/private/1", "/private/2", "/b", "/private/3", "/private/4"]

class Burst(scrapy.Spider):
    name = "burst"

    async def start(self):
        for path in paths:
            yield scrapy.Request(base + path, callback=self.parse)

    def parse(self, response):
        pass

settings = Settings()
settings.setmodule("crawler.settings", priority="project")
settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 8, priority="cmdline")
settings.set("SPIDER_LOADER_CLASS", "scrapy.spiderloader.SpiderLoader", priority="cmdline")
settings.set("ITEM_PIPELINES", {}, priority="cmdline")
settings.set("EXTENSIONS", {}, priority="cmdline")
process = CrawlerProcess(settings)
crawler = process.create_crawler(Burst)
process.crawl(crawler)
process.start()
print("forbidden", crawler.stats.get_value("robotstxt/forbidden", 0))
"""


class Site(BaseHTTPRequestHandler):
    hits: Counter[str]

    def do_GET(self) -> None:
        self.hits[self.path] += 1
        if self.path == "/robots.txt":
            time.sleep(ROBOTS_DELAY)
            body, kind = ROBOTS, "text/plain"
        else:
            body, kind = f"<html><body><p>{self.path}</p></body></html>".encode(), "text/html"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def slow_robots_site() -> Iterator[tuple[str, Counter[str]]]:
    hits: Counter[str] = Counter()
    handler = type("SlowRobots", (Site,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_requests_that_wait_for_robots_txt_are_checked_against_it(
    slow_robots_site: tuple[str, Counter[str]],
) -> None:
    base, hits = slow_robots_site
    proc = subprocess.run(
        [sys.executable, "-c", CRAWL, base],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**os.environ, "SCRAPY_SETTINGS_MODULE": ""},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert hits["/robots.txt"] == 1
    assert hits["/a"] == hits["/b"] == 1
    assert not [path for path in hits if path.startswith("/private/")], proc.stderr[-3000:]
    assert proc.stdout.split()[-1] == "4"  # each counted as robotstxt/forbidden
