"""The crawler as a plain Scrapy project: `scrapy list` and `scrapy crawl <source>` in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bulletin.sample_server import SampleServer
from tests.conftest import REPO, Bulletin, make_bulletin
from tests.crawler.oracle import check

pytestmark = pytest.mark.slow

CPS = """
[sources.cps]
kind = "generic"
feeds = ["{base}/feeds/news.xml"]
listings = ["{base}/news"]
link_pattern = "/cps/news/[^/]+$"
selectors = {{ title = "h1", body = "main article p", date = "time::attr(datetime)" }}
"""


@pytest.fixture
def project(tmp_path: Path, sample_server: SampleServer) -> Bulletin:
    return make_bulletin(tmp_path, sample_server, CPS.format(base=sample_server.base("cps")))


def scrapy(
    bulletin: Bulletin, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`scrapy ARGS` from the repository root (scrapy.cfg), reading the config like a user's shell would."""
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
        env={**os.environ, "BULLETIN_CONFIG": str(bulletin.config), **(env or {})},
    )


def test_scrapy_list_lists_the_configured_sources(project: Bulletin) -> None:
    proc = scrapy(project, "list")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == sorted(["globaltimes", "chinadaily", "doj", "prosecutors", "cps"])


def test_scrapy_crawl_a_generic_source_from_the_config(
    project: Bulletin, sample_server: SampleServer, expected: dict[str, Any]
) -> None:
    proc = scrapy(project, "crawl", "cps")
    assert proc.returncode == 0, proc.stderr[-2000:]
    with project.store() as store:
        assert check(store, sample_server.base("cps"), expected["cps"]["article"]) == []
        [run] = store.runs(1)
        [stats] = store.run_stats(run["id"])
    assert run["command"] == "scrapy crawl cps"
    assert stats.source == "cps"
    assert stats.new == len(expected["cps"]["article"])


def test_scrapy_crawl_globaltimes_as_the_readme_says(
    project: Bulletin, sample_server: SampleServer, expected: dict[str, Any]
) -> None:
    # One section (the other holds a deliberately slow page), through the environment.
    proc = scrapy(
        project,
        "crawl",
        "globaltimes",
        "-s",
        "DOWNLOAD_DELAY=0",
        env={"BULLETIN_SOURCES_GLOBALTIMES_SECTIONS": '["china/"]'},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "KeyError" not in proc.stderr
    with project.store() as store:
        sources = {a.source for a in store.articles()}
        assert (
            check(store, sample_server.base("globaltimes"), expected["globaltimes"]["article"], "sitemap")
            == []
        )
    assert sources == {"globaltimes"}


def test_scrapy_crawl_of_an_unknown_source_names_the_configured_ones(project: Bulletin) -> None:
    proc = scrapy(project, "crawl", "nosuch")
    assert proc.returncode != 0
    assert (
        "Spider not found: nosuch (configured sources: globaltimes, chinadaily, doj, prosecutors, cps)"
        in (proc.stderr)
    )
