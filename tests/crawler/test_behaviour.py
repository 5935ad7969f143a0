"""Behaviour users rely on across sources: syndicated copies, ad hoc URLs, crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bulletin.sample_server import SampleServer
from bulletin.sitegen import generate_site
from bulletin.store import Store
from tests.conftest import REPO, make_bulletin
from tests.crawler.oracle import stored_by_path

pytestmark = pytest.mark.slow


def test_syndicated_copy_is_linked_to_the_same_story(
    tmp_path: Path, sample_server: SampleServer, expected: dict[str, Any]
) -> None:
    [copy] = [e for e in expected["globaltimes"]["article"] if "duplicate_of" in e]
    site, original_path = copy["duplicate_of"].split(":", 1)
    bulletin = make_bulletin(tmp_path, sample_server)
    bulletin.run("crawl", "chinadaily")
    bulletin.run("crawl", "globaltimes")
    with bulletin.store() as store:
        original = stored_by_path(store, sample_server.base(site))[original_path]
        gt = stored_by_path(store, sample_server.base("globaltimes"))
        [stats] = store.run_stats(store.runs(1)[0]["id"])
    assert gt[copy["path"]].story_id == original.story_id
    assert stats.duplicates == 1
    others = {a.story_id for path, a in gt.items() if path != copy["path"]}
    assert original.story_id not in others


def test_adhoc_article_url_uses_its_sources_parser(
    tmp_path: Path, sample_server: SampleServer, expected: dict[str, Any]
) -> None:
    entry = expected["globaltimes"]["article"][0]
    bulletin = make_bulletin(tmp_path, sample_server)
    url = sample_server.base("globaltimes") + entry["path"] + "?id=12"
    proc = bulletin.run("crawl", url)
    with bulletin.store() as store:
        [article] = list(store.articles())
    assert article.source == "globaltimes"
    assert article.url == sample_server.base("globaltimes") + entry["path"]
    assert article.section == entry["section"]  # the Global Times parser, not the generic one
    assert "globaltimes" in proc.stdout


def test_adhoc_url_of_unknown_site_goes_to_the_generic_parser(
    tmp_path: Path, sample_server: SampleServer, expected: dict[str, Any]
) -> None:
    entry = expected["generic"]["article"][0]
    port = sample_server.base("generic").rsplit(":", 1)[1]
    url = f"http://localhost:{port}{entry['path']}"  # no source is configured for "localhost"
    bulletin = make_bulletin(tmp_path, sample_server)
    bulletin.run("crawl", url)
    with bulletin.store() as store:
        [article] = list(store.articles())
    assert article.source == "localhost"
    assert article.title == entry["title"]
    # `bulletin sources` lists the ad hoc URL's host with the configured sources.
    [row] = [line for line in bulletin.run("sources").stdout.splitlines() if line.startswith("localhost")]
    assert "ad hoc" in row


def test_adhoc_url_that_stores_nothing_exits_1(tmp_path: Path, sample_server: SampleServer) -> None:
    bulletin = make_bulletin(tmp_path, sample_server)
    url = sample_server.base("globaltimes") + "/page/202503/1330800.shtml"  # a 404
    proc = bulletin.run("crawl", url, check=False)
    assert proc.returncode == 1
    assert f"{url}: nothing stored" in proc.stderr


def test_adhoc_feed_url_crawls_its_items(tmp_path: Path, sample_server: SampleServer) -> None:
    bulletin = make_bulletin(tmp_path, sample_server)
    bulletin.run("crawl", sample_server.base("generic") + "/feed.xml")
    with bulletin.store() as store:
        sources = {a.source for a in store.articles()}
        assert store.count_articles() >= 3
    assert sources == {"prosecutors"}


def test_unknown_source_name_is_a_one_line_error(tmp_path: Path, sample_server: SampleServer) -> None:
    bulletin = make_bulletin(tmp_path, sample_server)
    proc = bulletin.run("crawl", "nosuchsource", check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "bulletin: error: unknown source 'nosuchsource' (configured: "
        "globaltimes, chinadaily, doj, prosecutors)"
    ]


def test_unreachable_host_is_an_error_count_not_a_crash(tmp_path: Path, sample_server: SampleServer) -> None:
    # A closed loopback port: connection refused at once, no traffic leaves the machine.
    extra = '\n[sources.gone]\nkind = "generic"\nbase_url = "http://127.0.0.1:9"\nfeeds = ["http://127.0.0.1:9/feed.xml"]\n'
    bulletin = make_bulletin(tmp_path, sample_server, extra)
    bulletin.run("crawl", "gone")
    with bulletin.store() as store:
        [stats] = store.run_stats(store.runs(1)[0]["id"])
    assert stats.error_kinds == {"unreachable": 1}


def test_sigkill_mid_crawl_loses_nothing_and_the_rerun_finishes(tmp_path: Path) -> None:
    """Kill a crawl of 300 articles half-way; every article ends up stored exactly once."""
    site = tmp_path / "sites" / "big"
    sections = generate_site(site, 300)
    db = tmp_path / "bulletin.db"
    with SampleServer(tmp_path / "sites") as server:
        config = tmp_path / "config.toml"
        config.write_text(
            f"""
[store]
path = "{db.as_posix()}"
[crawl]
download_delay = 0.0
autothrottle = false
concurrency_per_domain = 4
progress_seconds = 0.0
[sources.globaltimes]
base_url = "{server.base("big")}"
sections = {sections!r}
sitemap = false
""".replace("'", '"'),
            encoding="utf-8",
        )
        command = [
            sys.executable,
            "-m",
            "bulletin",
            "--config",
            str(config),
            "crawl",
            "globaltimes",
        ]
        child = subprocess.Popen(
            command,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        stored = 0
        try:
            while time.monotonic() < deadline and child.poll() is None:
                if db.exists():
                    with Store.open(db) as store:
                        stored = store.count_articles()
                    if stored >= 60:
                        break
                time.sleep(0.05)
        finally:  # never leave the crawl running, whatever the loop raised
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        assert 0 < stored < 300, "the crawl must be killed part-way"
        with Store.open(db) as store:
            survived = store.count_articles()
        assert survived >= stored  # nothing reported stored was lost
        subprocess.run(command, cwd=REPO, check=True, capture_output=True, timeout=180)
    with Store.open(db) as store:
        counts = store.url_counts()
        [stats] = store.run_stats(store.runs(1)[0]["id"])
    assert len(counts) == 300
    assert set(counts.values()) == {1}
    assert stats.new == 300 - survived
    assert stats.skipped == survived


def test_an_impossible_date_is_counted_in_the_summary_and_the_next_source_stored(
    tmp_path: Path, sample_server: SampleServer
) -> None:
    """China Daily's "Updated: 2569-05-17 20:43" (a Buddhist-era year): rejected, said, the URL's day kept."""
    bulletin = make_bulletin(tmp_path, sample_server)
    path = "/a/202605/17/WS6a28f1c2a310c240449e1b77.html"
    proc = bulletin.run("crawl", sample_server.base("chinadaily") + path)
    assert "chinadaily: publication dates rejected as impossible: 1 (page 1)" in proc.stdout
    with bulletin.store() as store:
        [article] = list(store.articles())
        [stats] = store.run_stats(store.runs(1)[0]["id"])
    assert article.published_at is not None
    assert article.published_at.date().isoformat() == "2026-05-17"
    assert stats.rejected_dates == {"page": 1}
    assert stats.body_suspect == 0
