"""The CLI's own behaviour: one-line errors, the sources table, the demo configuration."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bulletin.cli import cli, summary_table
from bulletin.crawl import health
from bulletin.records import CrawlStats


def test_broken_config_is_one_line_and_exit_1(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[crawl]\ntimeout = 'never'\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "sources"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"bulletin: error: {config}: crawl.timeout: expected int or float, got 'never'"
    )


def test_sources_on_an_empty_archive(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "a.db"), "sources"], env={"BULLETIN_CONFIG": ""})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["source", "kind", "enabled", "articles"]
    assert any(line.startswith("globaltimes") and "never crawled" in line for line in lines)


def test_bad_date_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "a.db"), "crawl", "doj", "--since", "yesterday"])
    assert result.exit_code == 2
    assert "expected YYYY-MM-DD" in result.output


def test_summary_table_breaks_drops_and_errors_down() -> None:
    table = summary_table(
        [
            CrawlStats(
                "doj",
                requested=10,
                new=3,
                dropped={"challenge": 1, "irrelevant": 2},
                error_kinds={"timeout": 1},
                errors=1,
                blocked=True,
            )
        ]
    )
    header, row = table.splitlines()
    assert header.split()[0] == "source"
    assert "doj [blocked]" in row
    assert "3 (challenge 1, irrelevant 2)" in row
    assert "1 (timeout 1)" in row


def test_health_reports_changed_markup_as_broken() -> None:
    assert health(None) == "never crawled"
    assert health(CrawlStats("x", requested=20, found=10, new=10)) == "ok"
    assert health(CrawlStats("x", requested=20, found=10, dropped={"not_article": 9})).startswith("broken")
    assert health(CrawlStats("x", requested=5, found=0)) == "broken: no articles found"
    assert health(CrawlStats("x", requested=10, found=2, new=2, errors=6)).startswith("failing")
    assert health(CrawlStats("x", requested=2, found=0, dropped={"challenge": 1}, blocked=True)) == (
        "blocked (bot challenge)"
    )
