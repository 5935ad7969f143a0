"""A crawl against a hostile server: every bad answer is a counted drop or error, good pages
are stored right (a page declared GBK whose bytes are UTF-8 included), and a crawl killed
with SIGKILL is not left 'running'."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from bulletin.store import Store
from tests.conftest import REPO
from tests.faults.conftest import bulletin, hostile_config, wait_for
from tests.faults.hostile import drip, gzip_bomb, hang_first, hostile_server, redirect_to, static

TITLE = "China\u2019s state security ministry names a spy ring"
BODY = (
    "China\u2019s Ministry of State Security said on Tuesday that it had broken up a ring that sold "
    "state secrets for ¥2 million, and that three people were detained in the case, which the "
    "ministry described as one of the most serious it had handled this year."
)


def article(title: str, body: str, charset: str) -> bytes:
    page = (
        f'<html lang="en"><head><meta charset="{charset}"><title>{title}</title></head><body>'
        f'<h1>{title}</h1><time datetime="2026-11-30T09:00:00+08:00">Nov 30</time>'
        f"<article><p>{body}</p><p>{body}</p></article></body></html>"
    )
    return page.encode("utf-8")  # whatever the page declares


def bomb_feed(base: str, paths: list[str]) -> bytes:
    """RSS whose DOCTYPE declares a "billion laughs" bomb, long enough to push <rss> past 2 KB."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">' for i in range(1, 10)
    )
    entities += "".join(f'<!ENTITY pad{i} "{"p" * 60}">' for i in range(40))
    items = "".join(f"<item><title>{p}</title><link>{base}{p}</link></item>" for p in paths)
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]>'
        f'<rss version="2.0"><channel><title>&lol9;</title>{items}</channel></rss>'
    ).encode()


def crawl_runs(config: Path) -> list[dict[str, Any]]:
    proc = bulletin("--config", str(config), "runs", "--crawls", "--json")
    assert proc.returncode == 0, proc.stderr
    runs: list[dict[str, Any]] = json.loads(proc.stdout)
    return runs


def test_hostile_answers_are_counted_and_the_good_page_is_stored_right(tmp_path: Path) -> None:
    paths = ["/news/utf8-declared-gbk", "/news/gzip-bomb", "/news/loop", "/news/drip"]
    with hostile_server() as server:
        server.route("/feed.xml", static(bomb_feed(server.base, paths), "application/rss+xml"))
        server.route(paths[0], static(article(TITLE, BODY, "gbk"), "text/html; charset=gbk"))
        server.route(paths[1], gzip_bomb(64))  # 64 MB of zeros in about 64 KB
        server.route(paths[2], redirect_to(paths[2]))
        server.route(paths[3], drip(30))
        config = hostile_config(
            tmp_path,
            f"""
[sources.hostile]
kind = "generic"
feeds = ["{server.base}/feed.xml"]
link_pattern = "/news/"
selectors = {{ title = "h1", body = "article p", date = "time::attr(datetime)" }}
""",
            crawl="max_page_bytes = 1048576\n",
            timeout=4.0,
        )
        proc = bulletin("--config", str(config), "crawl", timeout=120)
    assert proc.returncode == 0, proc.stderr
    [run] = crawl_runs(config)
    [stats] = run["sources"]
    assert stats["new"] == 1
    assert stats["error_kinds"] == {"too_large": 1, "redirect_loop": 1, "timeout": 1, "hostile_xml": 1}
    assert stats["redecoded"] == {"utf-8": 1}
    with Store.open(tmp_path / "bulletin.db") as store:
        [stored] = list(store.articles())
    assert stored.title == TITLE
    assert BODY in stored.text  # not "China鈥檚 … 楼2 million"
    # The summary table shows the drops too, not only --json.
    assert "redirect_loop 1" in proc.stdout
    assert "too_large 1" in proc.stdout
    assert "hostile: pages read in another encoding than declared: 1 (utf-8 1)" in proc.stdout


def test_a_crawl_killed_with_sigkill_is_not_left_running(tmp_path: Path) -> None:
    with hostile_server() as server:
        server.route("/feed.xml", hang_first(server, static(b"", "application/rss+xml")))
        config = hostile_config(
            tmp_path, f'[sources.hostile]\nkind = "generic"\nfeeds = ["{server.base}/feed.xml"]\n'
        )
        crawl = subprocess.Popen(
            [sys.executable, "-m", "bulletin", "--config", str(config), "crawl"],
            cwd=REPO,
            env={**os.environ, "BULLETIN_CONFIG": ""},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert wait_for(lambda: server.hits["/feed.xml"] == 1, 60)
        finally:
            crawl.send_signal(signal.SIGKILL)
            crawl.wait(30)
    [run] = crawl_runs(config)
    assert run["status"] == "abandoned"
