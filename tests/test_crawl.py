"""Choosing what to crawl (bulletin/crawl.py): disabled sources, the contact address, empty sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bulletin.cli import cli
from bulletin.config import load_settings
from bulletin.crawl import crawl_problems, resolve_targets
from bulletin.errors import ConfigError, SourceError
from bulletin.records import CrawlStats

REAL_CONTACT = "analyst@newsroom.co.uk"


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[store]\npath = "{(tmp_path / "a.db").as_posix()}"\n{text}', encoding="utf-8")
    return path


def crawl(path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["--config", str(path), "crawl", *args], env={"BULLETIN_CONFIG": "", **(env or {})}
    )
    return result.exit_code, result.output


def test_naming_a_disabled_source_refuses_to_crawl_its_default_site(tmp_path: Path) -> None:
    path = config(tmp_path, f'[crawl]\ncontact = "{REAL_CONTACT}"\n[sources.doj]\nenabled = false\n')
    code, output = crawl(path, "doj")
    assert code == 1
    assert output.strip().splitlines() == [
        "bulletin: error: source 'doj' is disabled: set enabled = true in [sources.doj] "
        "(or BULLETIN_SOURCES_DOJ_ENABLED=true), or set its base_url to a mirror or test server, "
        "to crawl it"
    ]
    assert not (tmp_path / "a.db").exists()  # refused before anything was opened or requested


def test_a_disabled_source_pointed_at_a_site_is_crawled_when_named(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        f'[crawl]\ncontact = "{REAL_CONTACT}"\n[sources.doj]\nenabled = false\nbase_url = "http://127.0.0.1:9"\n',
    )
    settings = load_settings(path, env={})
    _, [target] = resolve_targets(settings, ["doj"])
    assert target.source.base_url == "http://127.0.0.1:9"
    # Without a name it stays out of the run.
    _, targets = resolve_targets(settings, [])
    assert "doj" not in {t.source.name for t in targets}


def test_disabling_through_the_environment_counts_too(tmp_path: Path) -> None:
    path = config(tmp_path, f'[crawl]\ncontact = "{REAL_CONTACT}"\n')
    settings = load_settings(path, env={"BULLETIN_SOURCES_CHINADAILY_ENABLED": "false"})
    with pytest.raises(SourceError, match="source 'chinadaily' is disabled"):
        resolve_targets(settings, ["chinadaily"])


def test_the_placeholder_contact_is_not_sent_to_a_real_site(tmp_path: Path) -> None:
    path = config(tmp_path, "")
    code, output = crawl(path, "globaltimes")
    assert code == 1
    [line] = output.strip().splitlines()
    assert line.startswith("bulletin: error: crawl.contact: 'bulletin-watch@example.org' is a placeholder")
    assert "www.globaltimes.cn" in line
    code, output = crawl(path, "https://www.example.net/story")
    assert code == 1
    assert "crawl.contact" in output
    assert not (tmp_path / "a.db").exists()


def test_a_real_contact_lets_real_sites_through(tmp_path: Path) -> None:
    path = config(tmp_path, "")
    settings = load_settings(path, env={"BULLETIN_CRAWL_CONTACT": REAL_CONTACT})
    _, [target] = resolve_targets(settings, ["globaltimes"])
    assert target.source.name == "globaltimes"
    with pytest.raises(ConfigError, match=r"^crawl\.contact"):
        resolve_targets(load_settings(path, env={}), ["globaltimes"])


def test_loopback_sites_need_no_contact(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        '[sources.globaltimes]\nbase_url = "http://127.0.0.1:9"\nsearch_url = "http://localhost:9"\n',
    )
    _, [target] = resolve_targets(load_settings(path, env={}), ["globaltimes"])
    assert target.source.base_url == "http://127.0.0.1:9"


def test_a_generic_source_with_nothing_to_read_is_refused(tmp_path: Path) -> None:
    path = config(tmp_path, '[sources.bare]\nkind = "generic"\nlink_pattern = "/news/"\n')
    with pytest.raises(SourceError, match="source 'bare' has no feeds, sitemaps or listings to read"):
        resolve_targets(load_settings(path, env={}), ["bare"])


def test_a_source_that_found_nothing_is_a_problem_with_its_reasons() -> None:
    stats = [
        CrawlStats("cps", requested=3, found=0, dropped={"offsite": 6}),
        CrawlStats("quiet", requested=2, found=0),
        CrawlStats("gone", requested=1, found=0, errors=1, error_kinds={"unreachable": 1}),
        CrawlStats("fine", requested=9, found=4, new=4),
    ]
    assert crawl_problems(stats) == [
        "cps: no articles found (requested 3; dropped offsite 6); "
        "article links were off the source's domains: set its domains",
        "quiet: no articles found (requested 2); check its feeds, listings and link_pattern",
        "gone: no articles found (requested 1; errors unreachable 1)",
    ]


def test_suspect_bodies_and_rejected_dates_are_problems_of_the_run() -> None:
    stats = [
        CrawlStats("chinadaily", requested=9, found=4, new=4, body_suspect=1, rejected_dates={"page": 2})
    ]
    assert crawl_problems(stats) == [
        "chinadaily: 1 article bodies lack the page's own description "
        "(body_suspect: story text may be lost; see the warnings for the URLs)",
        "chinadaily: 2 publication dates rejected as impossible (in the future or before the site "
        "existed: page 2); the next date source was used",
    ]
