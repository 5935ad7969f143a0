"""The small gaps of issue 21, each against the hostile server: an over-long link, an entity-bomb
sitemap with links after the bomb, a redirect to another port of the host, a page nested 10,000
elements deep, and an ad hoc URL over Scrapy's length limit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.faults.conftest import bulletin, hostile_config
from tests.faults.hostile import hostile_server, redirect_to, static
from tests.faults.test_exhaustion import article_page
from tests.faults.test_hostile_crawl import BODY, article

BOMB = '<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">' for i in range(1, 10)
)


def bomb_sitemap(base: str, paths: list[str]) -> bytes:
    """A sitemap declaring a "billion laughs" bomb, referenced in the first entry: libxml2 stopped
    reading there, so only the first link was read."""
    entries = "".join(
        f"<url><loc>{base}{p}</loc><lastmod>{'&lol9;' if n == 0 else '2026-11-30'}</lastmod></url>"
        for n, p in enumerate(paths)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE urlset [{BOMB}]>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    ).encode()


def deep_page(depth: int) -> bytes:
    title = "A page nested too deep to parse"
    return (
        f'<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head><body><h1>{title}</h1>'
        + "<div>" * depth
        + f"<article><p>{BODY}</p></article>"
        + "</div>" * depth
        + "</body></html>"
    ).encode()


def crawl_stats(config: Path) -> dict[str, Any]:
    proc = bulletin("--config", str(config), "runs", "--crawls", "--json")
    assert proc.returncode == 0, proc.stderr
    [run] = json.loads(proc.stdout)
    [stats] = run["sources"]
    assert isinstance(stats, dict)
    return stats


def test_each_small_gap_is_read_or_counted(tmp_path: Path) -> None:
    sitemap_paths = ["/news/s1", "/news/s2", "/news/s3"]
    long_path = "/news/" + "a" * 2100
    with hostile_server() as server, hostile_server() as other:
        other.route("/news/elsewhere", static(article("Another server's page", BODY, "utf-8"), "text/html"))
        items = "".join(
            f"<item><title>{p[:20]}</title><link>{server.base}{p}</link></item>"
            for p in ("/news/deep", "/news/moved", long_path)
        )
        feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
        server.route("/feed.xml", static(feed.encode(), "application/rss+xml"))
        server.route("/sitemap.xml", static(bomb_sitemap(server.base, sitemap_paths), "application/xml"))
        for n, path in enumerate(sitemap_paths):
            server.route(path, static(article_page(n), "text/html; charset=utf-8"))  # no two alike
        server.route("/news/deep", static(deep_page(10_000), "text/html; charset=utf-8"))
        server.route("/news/moved", redirect_to(f"{other.base}/news/elsewhere"))
        config = hostile_config(
            tmp_path,
            f"""
[sources.hostile]
kind = "generic"
feeds = ["{server.base}/feed.xml"]
sitemaps = ["{server.base}/sitemap.xml"]
link_pattern = "/news/"
selectors = {{ title = "h1", body = "article p", date = "time::attr(datetime)" }}
""",
        )
        proc = bulletin("--config", str(config), "crawl", timeout=120)
        assert not other.hits  # another port of the host is another site: never requested
        assert server.hits[long_path] == 0
    assert proc.returncode == 0, proc.stderr
    stats = crawl_stats(config)
    assert stats["new"] == 3, (
        stats,
        proc.stderr[-3000:],
    )  # every link of the defused sitemap, not only the first
    assert stats["dropped"] == {"too_deep": 1, "offsite": 1, "url_too_long": 1}
    assert stats["error_kinds"] == {"hostile_xml": 1}
    assert "url_too_long 1" in proc.stdout
    assert "too_deep 1" in proc.stdout


def test_an_ad_hoc_url_over_the_length_limit_is_refused_in_one_line(tmp_path: Path) -> None:
    config = hostile_config(tmp_path, "")
    url = "http://127.0.0.1:9/news/" + "a" * 2100
    proc = bulletin("--config", str(config), "crawl", url)
    assert proc.returncode == 1
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith(
        "bulletin: error: URL is 2,124 characters long; Scrapy requests none longer than 2,083"
    )
    assert not (tmp_path / "bulletin.db").exists()
